//! Open a decoder checkpoint by path: a Hugging Face folder or a `.gguf` file.

use super::decoder::Decoder;
use super::load_safetensors::load_safetensors_decoder;
use crate::error::Result;
use crate::loaders::LoadError;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;

/// Load the decoder at `path`: a folder with `config.json` and
/// `model.safetensors`, or a GGUF file.
pub fn load_decoder(path: &Path, device: &Arc<dyn Device>) -> Result<Decoder> {
    if path.is_dir() {
        return load_safetensors_decoder(path, device);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
    {
        return super::load_gguf::load_gguf_decoder(path, device);
    }
    Err(LoadError::Io {
        path: path.to_path_buf(),
        message: "not a model folder (config.json + model.safetensors) or a .gguf file".into(),
    }
    .into())
}
