//! The tuning table of one adapter: shape class -> chosen variant name, kept in
//! memory and mirrored to `<cache dir>/tuning-<adapter key>.json`. A missing or
//! corrupt file gives an empty table (and is rewritten on the next choice).
//!
//! Several processes may tune on one cache folder at once: each write holds an
//! exclusive lock on `<file>.lock`, reads the file again, merges its own
//! entries into what is there (ours win on a shared class) and replaces the
//! file atomically, so every writer's entries survive.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Format version of the file; files of another version are ignored.
/// 2: keys carry the candidates' fingerprint (`class@hash`).
const FORMAT: u32 = 2;

#[derive(Serialize, Deserialize)]
struct TuningFile {
    format: u32,
    adapter: String,
    entries: BTreeMap<String, String>,
}

/// Measured choices of one adapter.
#[derive(Debug, Default)]
pub struct TuningTable {
    adapter: String,
    path: Option<PathBuf>,
    entries: BTreeMap<String, String>,
}

impl TuningTable {
    /// The table of `adapter` (its summary line), loaded from `path` when given
    /// and readable; corrupt or foreign files are logged and ignored.
    pub fn load(adapter: &str, path: Option<PathBuf>) -> TuningTable {
        let entries = path
            .as_deref()
            .and_then(|p| read_entries(p, adapter))
            .unwrap_or_default();
        TuningTable {
            adapter: adapter.to_string(),
            path,
            entries,
        }
    }

    /// The variant chosen for `class`, if measured.
    pub fn get(&self, class: &str) -> Option<&str> {
        self.entries.get(class).map(String::as_str)
    }

    /// Record a choice and merge it into the file (failures are logged, not
    /// returned). Entries other processes wrote meanwhile join this table.
    pub fn insert(&mut self, class: String, variant: String) {
        self.entries.insert(class, variant);
        let Some(path) = self.path.clone() else {
            return;
        };
        if let Err(e) = self.merge_into_file(&path) {
            tracing::warn!("tuning cache {} not written: {e}", path.display());
        }
    }

    /// Under the file's lock: read what is there, merge ours in, write back.
    fn merge_into_file(&mut self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.with_extension("json.lock"))?;
        lock.lock()?;
        let mut merged = read_entries(path, &self.adapter).unwrap_or_default();
        merged.extend(std::mem::take(&mut self.entries));
        self.entries = merged;
        let file = TuningFile {
            format: FORMAT,
            adapter: self.adapter.clone(),
            entries: self.entries.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        let written = write_unique_then_rename(path, &bytes);
        lock.unlock()?;
        written
    }

    /// Every recorded (class, variant) pair, in class order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of recorded choices.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Write `bytes` to a temporary file unique to this process and thread, then
/// rename it over `path` (readers never see a partial file).
fn write_unique_then_rename(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let thread = format!("{:?}", std::thread::current().id());
    let digits: String = thread.chars().filter(char::is_ascii_digit).collect();
    let tmp = path.with_extension(format!("tmp{}-{digits}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn read_entries(path: &Path, adapter: &str) -> Option<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice::<TuningFile>(&bytes) {
        Ok(file) if file.format == FORMAT && file.adapter == adapter => Some(file.entries),
        Ok(_) => {
            tracing::warn!(
                "tuning cache {} is for another adapter or format; ignored",
                path.display()
            );
            None
        }
        Err(e) => {
            tracing::warn!("tuning cache {} is corrupt ({e}); ignored", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tessera-tuning-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("tuning.json")
    }

    #[test]
    fn choices_survive_a_reload() {
        let path = temp_path("reload");
        let mut table = TuningTable::load("adapter A", Some(path.clone()));
        assert!(table.is_empty());
        table.insert("matmul/x".into(), "blocked/64".into());
        let again = TuningTable::load("adapter A", Some(path.clone()));
        assert_eq!(again.get("matmul/x"), Some("blocked/64"));
        // Another adapter does not take this adapter's choices.
        let other = TuningTable::load("adapter B", Some(path));
        assert!(other.is_empty());
    }

    #[test]
    fn corrupt_files_are_ignored_and_rewritten() {
        let path = temp_path("corrupt");
        for junk in [
            &b""[..],
            b"{",
            b"\xff\xfe\x00garbage",
            b"{\"format\": 1}",
            b"[1,2,3]",
        ] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, junk).unwrap();
            let mut table = TuningTable::load("adapter A", Some(path.clone()));
            assert!(table.is_empty());
            table.insert("k".into(), "v".into());
            let again = TuningTable::load("adapter A", Some(path.clone()));
            assert_eq!(again.get("k"), Some("v"), "after {junk:?}");
        }
    }

    #[test]
    fn concurrent_writers_through_separate_handles_keep_every_entry() {
        let path = temp_path("concurrent");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut table = TuningTable::load("adapter A", Some(path));
                    for i in 0..25 {
                        table.insert(format!("w{w}/class{i}"), format!("v{i}"));
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let table = TuningTable::load("adapter A", Some(path));
        assert_eq!(
            table.len(),
            100,
            "{:?}",
            table.entries().collect::<Vec<_>>()
        );
        for w in 0..4 {
            for i in 0..25 {
                assert_eq!(
                    table.get(&format!("w{w}/class{i}")),
                    Some(&*format!("v{i}"))
                );
            }
        }
    }

    #[test]
    fn an_unwritable_path_only_logs() {
        let mut table = TuningTable::load("a", Some(PathBuf::from("/proc/no/such/dir/t.json")));
        table.insert("k".into(), "v".into());
        assert_eq!(table.get("k"), Some("v"));
    }
}
