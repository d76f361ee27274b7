//! Typed reads of GGUF metadata.
//!
//! [`GgufValue`] converts losslessly (`as_u64`, `as_i64`, `as_f32`, ...), and
//! [`GgufFile`] reads a key as a type: `get_*` give `None` when the key is absent
//! or holds something that does not convert; `require_*` turn both cases into a
//! [`LoadError::BadConfig`] naming the file, the key, and what was found.

use super::gguf::{GgufFile, GgufValue};
use super::LoadError;

impl GgufValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            GgufValue::U8(v) => Some(v.into()),
            GgufValue::U16(v) => Some(v.into()),
            GgufValue::U32(v) => Some(v.into()),
            GgufValue::U64(v) => Some(v),
            GgufValue::I8(v) => u64::try_from(v).ok(),
            GgufValue::I16(v) => u64::try_from(v).ok(),
            GgufValue::I32(v) => u64::try_from(v).ok(),
            GgufValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a signed integer, if it is an integer that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            GgufValue::I8(v) => Some(v.into()),
            GgufValue::I16(v) => Some(v.into()),
            GgufValue::I32(v) => Some(v.into()),
            GgufValue::I64(v) => Some(v),
            GgufValue::U8(v) => Some(v.into()),
            GgufValue::U16(v) => Some(v.into()),
            GgufValue::U32(v) => Some(v.into()),
            GgufValue::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as an `f32`: an `f32`, an `f64` rounded to the nearest `f32`
    /// (refused if that overflows to infinity), or an integer `f32` holds
    /// exactly.
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            GgufValue::F32(v) => Some(v),
            GgufValue::F64(v) => {
                let f = v as f32;
                (f.is_finite() || !v.is_finite()).then_some(f)
            }
            _ => {
                let exact = match (self.as_i64(), self.as_u64()) {
                    (Some(i), _) => i128::from(i),
                    (None, Some(u)) => i128::from(u),
                    (None, None) => return None,
                };
                let f = exact as f32;
                (f as f64 as i128 == exact).then_some(f)
            }
        }
    }

    /// The value as a float, if it is a float.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            GgufValue::F32(v) => Some(v.into()),
            GgufValue::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            GgufValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a bool, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            GgufValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    pub fn as_array(&self) -> Option<&[GgufValue]> {
        match self {
            GgufValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The GGUF type id of the value (`0` = u8 ... `12` = f64).
    pub fn type_id(&self) -> u32 {
        match self {
            GgufValue::U8(_) => 0,
            GgufValue::I8(_) => 1,
            GgufValue::U16(_) => 2,
            GgufValue::I16(_) => 3,
            GgufValue::U32(_) => 4,
            GgufValue::I32(_) => 5,
            GgufValue::F32(_) => 6,
            GgufValue::Bool(_) => 7,
            GgufValue::String(_) => 8,
            GgufValue::Array(_) => 9,
            GgufValue::U64(_) => 10,
            GgufValue::I64(_) => 11,
            GgufValue::F64(_) => 12,
        }
    }

    /// The type for messages: `u32`, `string`, `array of 3 string`, ...
    pub fn type_name(&self) -> String {
        match self {
            GgufValue::Array(items) => match items.first() {
                Some(first) => format!("array of {} {}", items.len(), first.type_name()),
                None => "empty array".into(),
            },
            other => type_id_name(other.type_id()).into(),
        }
    }
}

/// The name of GGUF metadata type `type_id`.
fn type_id_name(type_id: u32) -> &'static str {
    match type_id {
        0 => "u8",
        1 => "i8",
        2 => "u16",
        3 => "i16",
        4 => "u32",
        5 => "i32",
        6 => "f32",
        7 => "bool",
        8 => "string",
        9 => "array",
        10 => "u64",
        11 => "i64",
        12 => "f64",
        _ => "unknown",
    }
}

impl GgufFile {
    /// The value of metadata key `key`.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.get(key)
    }

    /// `key` as a `u64`: any non-negative integer.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.as_u64()
    }

    /// `key` as a `u32`: any integer in `0..=u32::MAX`.
    pub fn get_u32(&self, key: &str) -> Option<u32> {
        u32::try_from(self.get_u64(key)?).ok()
    }

    /// `key` as an `f32` (see [`GgufValue::as_f32`]).
    pub fn get_f32(&self, key: &str) -> Option<f32> {
        self.get(key)?.as_f32()
    }

    /// `key` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// `key` as a bool.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }

    /// `key` as an array of strings (an empty array is an empty list).
    pub fn get_str_array(&self, key: &str) -> Option<Vec<&str>> {
        self.get(key)?
            .as_array()?
            .iter()
            .map(GgufValue::as_str)
            .collect()
    }

    /// `key` as an array of `i32`: every element an integer in `i32`'s range.
    pub fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
        self.get(key)?
            .as_array()?
            .iter()
            .map(|v| i32::try_from(v.as_i64()?).ok())
            .collect()
    }

    /// `general.architecture`, which the format requires (`llama`, `qwen2`, ...).
    pub fn architecture(&self) -> Result<&str, LoadError> {
        self.require_str("general.architecture")
    }

    /// [`get_u64`](Self::get_u64), or an error naming the key.
    pub fn require_u64(&self, key: &str) -> Result<u64, LoadError> {
        self.require(key, "a non-negative integer", Self::get_u64)
    }

    /// [`get_u32`](Self::get_u32), or an error naming the key.
    pub fn require_u32(&self, key: &str) -> Result<u32, LoadError> {
        self.require(key, "an integer in u32's range", Self::get_u32)
    }

    /// [`get_f32`](Self::get_f32), or an error naming the key.
    pub fn require_f32(&self, key: &str) -> Result<f32, LoadError> {
        self.require(key, "an f32", Self::get_f32)
    }

    /// [`get_str`](Self::get_str), or an error naming the key.
    pub fn require_str(&self, key: &str) -> Result<&str, LoadError> {
        self.require(key, "a string", Self::get_str)
    }

    /// [`get_bool`](Self::get_bool), or an error naming the key.
    pub fn require_bool(&self, key: &str) -> Result<bool, LoadError> {
        self.require(key, "a bool", Self::get_bool)
    }

    /// [`get_str_array`](Self::get_str_array), or an error naming the key.
    pub fn require_str_array(&self, key: &str) -> Result<Vec<&str>, LoadError> {
        self.require(key, "an array of strings", Self::get_str_array)
    }

    /// [`get_i32_array`](Self::get_i32_array), or an error naming the key.
    pub fn require_i32_array(&self, key: &str) -> Result<Vec<i32>, LoadError> {
        self.require(
            key,
            "an array of integers in i32's range",
            Self::get_i32_array,
        )
    }

    /// `get(self, key)`, or a `BadConfig` saying the key is missing or holds
    /// something other than `expected`.
    fn require<'a, T>(
        &'a self,
        key: &str,
        expected: &str,
        get: impl Fn(&'a GgufFile, &str) -> Option<T>,
    ) -> Result<T, LoadError> {
        get(self, key).ok_or_else(|| {
            let message = match self.get(key) {
                None => format!("metadata key {key} is missing"),
                Some(found) => format!(
                    "metadata key {key} is {}, expected {expected}",
                    describe(found)
                ),
            };
            LoadError::BadConfig {
                path: self.path.clone(),
                message,
            }
        })
    }
}

/// A value for messages: its type, and the value itself when it is a short scalar.
fn describe(value: &GgufValue) -> String {
    match value {
        GgufValue::Array(_) => value.type_name(),
        GgufValue::String(s) if s.chars().count() > 40 => format!("a string of {} bytes", s.len()),
        GgufValue::String(s) => format!("the string {s:?}"),
        scalar => {
            let shown = format!("{scalar:?}");
            let inner = shown
                .split_once('(')
                .map(|(_, rest)| rest.trim_end_matches(')'))
                .unwrap_or(&shown);
            format!("{} {inner}", scalar.type_name())
        }
    }
}
