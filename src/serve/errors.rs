//! Errors as OpenAI's API gives them: an HTTP status and the body
//! `{"error": {"message", "type", "param", "code"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A request the server refuses or could not finish, with the status it answers.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
    /// OpenAI's error type, e.g. `invalid_request_error`.
    pub kind: &'static str,
    /// The request field at fault, when one is.
    pub param: Option<String>,
    /// A short machine-readable code, when there is one.
    pub code: Option<&'static str>,
}

impl ApiError {
    /// 400: the request is malformed or asks for something out of range.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: param.map(str::to_string),
            code: None,
        }
    }

    /// 400 naming the request's `model` field: no served model has this id
    /// (or it is not the kind the endpoint needs).
    pub fn unknown_model(message: impl Into<String>) -> ApiError {
        ApiError {
            code: Some("model_not_found"),
            ..ApiError::invalid(message, Some("model"))
        }
    }

    /// 413: the body is larger than the server takes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: Some("request_too_large"),
            ..ApiError::invalid(format!("the request body exceeds {limit} bytes"), None)
        }
    }

    /// 429: the engine's queue is full; retry later.
    pub fn queue_full(capacity: usize) -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!("the server's queue of {capacity} requests is full; retry later"),
            kind: "rate_limit_error",
            param: None,
            code: Some("queue_full"),
        }
    }

    /// 404: no such route.
    pub fn not_found(path: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: Some("unknown_url"),
            ..ApiError::invalid(format!("no route {path}"), None)
        }
    }

    /// 504: the request ran past the server's request timeout.
    pub fn timeout(seconds: f64) -> ApiError {
        ApiError {
            status: StatusCode::GATEWAY_TIMEOUT,
            message: format!("the request did not finish within {seconds} s"),
            kind: "timeout_error",
            param: None,
            code: Some("timeout"),
        }
    }

    /// 503: the engine has stopped (shutting down, or it failed).
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
            kind: "server_error",
            param: None,
            code: Some("engine_unavailable"),
        }
    }

    /// 500: the model failed while running a valid request.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            kind: "server_error",
            param: None,
            code: None,
        }
    }

    /// The JSON body `{"error": {...}}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// A request body that does not parse into `T`: 400 naming the field at
/// fault (its JSON path) when there is one.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let what = match inner.classify() {
            serde_json::error::Category::Data => "invalid request",
            _ => "malformed JSON",
        };
        let param = (path != ".").then_some(path);
        ApiError::invalid(format!("{what}: {inner}"), param.as_deref())
    })?;
    de.end()
        .map_err(|e| ApiError::invalid(format!("malformed JSON: {e}"), None))?;
    Ok(value)
}
