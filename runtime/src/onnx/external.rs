//! External tensor data: bytes stored in a file beside the model. The
//! location must stay inside the model's folder (no absolute path, no `..`,
//! no symbolic link out of it); offset and length are checked against the
//! file's size before anything is read.

use super::error::{OnnxError, OnnxResult};
use super::proto::StringStringEntryProto;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// Reads the external bytes of tensor `tensor`, which must be `expected` long.
pub(crate) fn read_external(
    tensor: &str,
    entries: &[StringStringEntryProto],
    model_dir: Option<&Path>,
    expected: usize,
) -> OnnxResult<Vec<u8>> {
    let get = |key: &str| {
        entries
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .and_then(|e| e.value.clone())
    };
    let location = get("location").unwrap_or_default();
    let err = |message: String| OnnxError::ExternalData {
        tensor: tensor.to_string(),
        location: location.clone(),
        message,
    };
    let Some(dir) = model_dir else {
        return Err(err(
            "a model read from memory has no folder for external data".into(),
        ));
    };
    let path = resolve(dir, &location).map_err(err)?;
    let number = |key: &str| -> Result<Option<u64>, String> {
        get(key)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{key} {v:?} is not a number"))
            })
            .transpose()
    };
    let offset = number("offset").map_err(err)?.unwrap_or(0);
    let length = number("length").map_err(err)?;
    if let Some(length) = length {
        if length != expected as u64 {
            return Err(err(format!(
                "length {length} does not match the {expected} bytes its shape and type need"
            )));
        }
    }
    let mut file = std::fs::File::open(&path).map_err(|e| err(e.to_string()))?;
    let size = file.metadata().map_err(|e| err(e.to_string()))?.len();
    let end = offset.checked_add(expected as u64);
    if end.is_none_or(|end| end > size) {
        return Err(err(format!(
            "bytes {offset}..{offset}+{expected} run past the file's {size} bytes"
        )));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| err(e.to_string()))?;
    let mut bytes = vec![0u8; expected];
    file.read_exact(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    Ok(bytes)
}

/// `location` inside `dir`, or why not.
pub(crate) fn resolve(dir: &Path, location: &str) -> Result<PathBuf, String> {
    if location.is_empty() {
        return Err("no location".into());
    }
    let relative = Path::new(location);
    for component in relative.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("`..` leaves the model's folder".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("an absolute path leaves the model's folder".into())
            }
        }
    }
    let joined = dir.join(relative);
    // A symbolic link inside the folder must not lead out of it either.
    let real_dir = dir.canonicalize().map_err(|e| e.to_string())?;
    let real = joined.canonicalize().map_err(|e| e.to_string())?;
    if !real.starts_with(&real_dir) {
        return Err("the path leads out of the model's folder".into());
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn locations_outside_the_folder_are_refused() {
        let dir = std::env::temp_dir();
        assert!(resolve(&dir, "/etc/passwd")
            .unwrap_err()
            .contains("absolute"));
        assert!(resolve(&dir, "../x.bin").unwrap_err().contains(".."));
        assert!(resolve(&dir, "a/../../x.bin").unwrap_err().contains(".."));
        assert!(resolve(&dir, "").is_err());
    }
}
