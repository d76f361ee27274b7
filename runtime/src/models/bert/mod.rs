//! BERT-family encoders and sentence embeddings (all-MiniLM-L6-v2 and relatives).

mod config;
mod encoder;
mod load;
mod random;
mod sentence;

pub use config::{BertConfig, PoolingConfig};
pub use encoder::{BertEmbeddings, BertEncoder, BertLayer, MASKED_SCORE};
pub use load::load_encoder;
pub use random::random_encoder;
pub use sentence::{default_model_dir, EmbedTimings, SentenceEmbedder, DEFAULT_MAX_TOKENS};

#[cfg(test)]
mod config_tests;
