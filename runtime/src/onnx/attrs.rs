//! A node's attributes, decoded and checked at load.

use super::error::{OnnxError, OnnxResult};
use super::proto::attribute_proto::AttributeType;
use super::proto::AttributeProto;
use super::tensor_proto::decode_tensor;
use super::value::HostTensor;
use std::collections::HashMap;
use std::path::Path;

/// One attribute value.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    Float(f32),
    Int(i64),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
    Str(String),
    Tensor(HostTensor),
    /// A subgraph or another kind we do not decode (its operator is unsupported).
    Other,
}

/// The attributes of one node by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attrs(HashMap<String, Attr>);

impl Attrs {
    pub(crate) fn decode(list: &[AttributeProto], dir: Option<&Path>) -> OnnxResult<Attrs> {
        let mut map = HashMap::with_capacity(list.len());
        for a in list {
            let name = a.name.clone().unwrap_or_default();
            let value = match AttributeType::try_from(a.r#type.unwrap_or(0)) {
                Ok(AttributeType::Float) => Attr::Float(a.f.unwrap_or(0.0)),
                Ok(AttributeType::Int) => Attr::Int(a.i.unwrap_or(0)),
                Ok(AttributeType::Floats) => Attr::Floats(a.floats.clone()),
                Ok(AttributeType::Ints) => Attr::Ints(a.ints.clone()),
                Ok(AttributeType::String) => {
                    Attr::Str(String::from_utf8_lossy(a.s.as_deref().unwrap_or(&[])).into_owned())
                }
                Ok(AttributeType::Tensor) => match &a.t {
                    Some(t) => Attr::Tensor(decode_tensor(t, dir)?),
                    None => {
                        return Err(OnnxError::BadTensor {
                            tensor: name,
                            message: "tensor attribute without a tensor".into(),
                        })
                    }
                },
                _ => Attr::Other,
            };
            map.insert(name, value);
        }
        Ok(Attrs(map))
    }

    /// Sets attribute `name` (graph rewrites use it on the nodes they make).
    pub(crate) fn set(&mut self, name: &str, value: Attr) {
        self.0.insert(name.to_string(), value);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Attr> {
        self.0.get(name)
    }

    /// Whether the attribute is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub(crate) fn int(&self, name: &str, default: i64) -> i64 {
        match self.0.get(name) {
            Some(Attr::Int(v)) => *v,
            _ => default,
        }
    }

    pub(crate) fn float(&self, name: &str, default: f32) -> f32 {
        match self.0.get(name) {
            Some(Attr::Float(v)) => *v,
            Some(Attr::Int(v)) => *v as f32,
            _ => default,
        }
    }

    pub(crate) fn ints(&self, name: &str) -> Option<&[i64]> {
        match self.0.get(name) {
            Some(Attr::Ints(v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn floats(&self, name: &str) -> Option<&[f32]> {
        match self.0.get(name) {
            Some(Attr::Floats(v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn string(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Attr::Str(v)) => Some(v),
            _ => None,
        }
    }
}
