//! What the browser loads: the release wasm split into the shell and a chunk per page (weighed
//! as stored and as brotli sends it), and the bytes a first visit to a page fetches as the
//! server sent them, measured by a real browser (`end2end/bundle-bytes.mjs`).

use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;

/// One file's size as stored and as brotli (quality 11) sends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    pub raw: u64,
    pub brotli: u64,
}

impl std::ops::Add for Weight {
    type Output = Weight;
    fn add(self, other: Weight) -> Weight {
        Weight {
            raw: self.raw + other.raw,
            brotli: self.brotli + other.brotli,
        }
    }
}

pub fn weigh(path: &Path) -> anyhow::Result<Weight> {
    let raw = std::fs::metadata(path)
        .with_context(|| format!("no file at {}", path.display()))?
        .len();
    let out = Command::new("brotli")
        .args(["-c", "-q", "11"])
        .arg(path)
        .output()
        .context("cannot run brotli (apt-get install brotli)")?;
    Ok(Weight {
        raw,
        brotli: out.stdout.len() as u64,
    })
}

/// The shell every page loads (`certdesk.wasm`) and all the wasm files together.
pub struct Bundle {
    pub shell: Weight,
    /// How much of the shell is constants (raw bytes).
    pub shell_data: u64,
    /// Page groups whose constants stayed in the shell (none, when the split worked).
    pub groups_without_data: Vec<String>,
    pub all: Weight,
    pub chunks: usize,
}

pub fn bundle(pkg: &Path) -> anyhow::Result<Bundle> {
    let shell = weigh(&pkg.join("certdesk.wasm"))?;
    let mut all = Weight::default();
    let mut files = 0usize;
    let mut groups_without_data = Vec::new();
    for entry in std::fs::read_dir(pkg).with_context(|| format!("cannot read {}", pkg.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".wasm") {
            continue;
        }
        all = all + weigh(&path)?;
        files += 1;
        if is_page_group(name) && data_bytes(&path)? == 0 {
            groups_without_data.push(name.to_owned());
        }
    }
    groups_without_data.sort();
    Ok(Bundle {
        shell,
        shell_data: data_bytes(&pkg.join("certdesk.wasm"))?,
        groups_without_data,
        all,
        chunks: files.saturating_sub(1),
    })
}

/// A page group's own module (`split_<group>.wasm`), as against the chunks groups share. The
/// splitter keeps every group's constants in the shell when its regrouped data would outgrow
/// the linker's segment (see `frontend/src/lib.rs`); each group then carries none.
fn is_page_group(file_name: &str) -> bool {
    file_name.starts_with("split_")
}

/// Bytes of constants (the data section) a wasm module carries.
pub fn data_bytes(path: &Path) -> anyhow::Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("no file at {}", path.display()))?;
    let mut total = 0u64;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::DataSection(reader) =
            payload.with_context(|| format!("{} is not a wasm module", path.display()))?
        {
            for segment in reader {
                total += segment?.data.len() as u64;
            }
        }
    }
    Ok(total)
}

/// A first visit: the page and what it fetched from `/pkg/`.
pub struct PageLoad {
    pub page: String,
    pub files: usize,
    /// The files' bodies as the server sent them.
    pub sent: u64,
    /// The same files as stored.
    pub raw: u64,
    /// Files sent without brotli or gzip.
    pub uncompressed: usize,
}

#[derive(serde::Deserialize)]
struct Listed {
    page: String,
    files: Vec<Fetched>,
}

/// One file a page fetched: its path, how it was encoded, and its body's bytes as sent.
#[derive(serde::Deserialize)]
struct Fetched {
    path: String,
    encoding: Option<String>,
    bytes: u64,
}

impl Fetched {
    fn compressed(&self) -> bool {
        matches!(self.encoding.as_deref(), Some("br" | "gzip"))
    }
}

/// What a page's first visit fetched, added up; `raw` is a file's size as stored.
fn page_load(visit: Listed, raw: impl Fn(&str) -> anyhow::Result<u64>) -> anyhow::Result<PageLoad> {
    let mut stored = 0;
    for file in &visit.files {
        stored += raw(file.path.trim_start_matches('/'))?;
    }
    Ok(PageLoad {
        files: visit.files.len(),
        sent: visit.files.iter().map(|f| f.bytes).sum(),
        raw: stored,
        uncompressed: visit.files.iter().filter(|f| !f.compressed()).count(),
        page: visit.page,
    })
}

/// Opens each `(path, person)` in Chromium against `base` and adds up what it fetched.
pub fn first_visits(
    base: &str,
    password: &str,
    pages: &[(&str, Option<&str>)],
    site_root: &Path,
) -> anyhow::Result<Vec<PageLoad>> {
    let specs = pages.iter().map(|(path, person)| match person {
        Some(email) => format!("{path}@{email}"),
        None => (*path).to_owned(),
    });
    let out = Command::new("node")
        .arg("end2end/bundle-bytes.mjs")
        .arg(base)
        .arg(password)
        .args(specs)
        .output()
        .context("cannot run node end2end/bundle-bytes.mjs (scripts/setup.sh installs it)")?;
    if !out.status.success() {
        bail!(
            "bundle-bytes.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let listed: Vec<Listed> =
        serde_json::from_slice(&out.stdout).context("bundle-bytes.mjs printed no JSON list")?;
    let stored = |relative: &str| -> anyhow::Result<u64> {
        let path = site_root.join(relative);
        Ok(std::fs::metadata(&path)
            .with_context(|| format!("no file at {}", path.display()))?
            .len())
    };
    listed
        .into_iter()
        .map(|visit| page_load(visit, stored))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wasm module holding `constants` bytes of passive data and nothing else.
    fn module_with_data(constants: usize) -> Vec<u8> {
        let mut data = wasm_encoder::DataSection::new();
        data.passive(vec![7u8; constants]);
        let mut module = wasm_encoder::Module::new();
        module.section(&data);
        module.finish()
    }

    #[test]
    fn the_bundle_is_the_shell_and_every_chunk() {
        let dir = std::env::temp_dir().join(format!("certdesk-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let shell = module_with_data(4000);
        std::fs::write(dir.join("certdesk.wasm"), &shell).unwrap();
        std::fs::write(dir.join("chunk_1.wasm"), module_with_data(0)).unwrap();
        std::fs::write(dir.join("split_list_pages_1.wasm"), module_with_data(12)).unwrap();
        std::fs::write(dir.join("split_order_pages_1.wasm"), module_with_data(0)).unwrap();
        std::fs::write(dir.join("certdesk.js"), b"not counted").unwrap();
        let weighed = bundle(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(weighed.chunks, 3);
        assert_eq!(weighed.shell.raw, shell.len() as u64);
        assert_eq!(weighed.shell_data, 4000);
        assert!(weighed.shell.brotli < 100, "repeated bytes compress");
        assert_eq!(weighed.groups_without_data, ["split_order_pages_1.wasm"]);
    }

    #[test]
    fn a_visit_adds_up_the_bytes_sent_and_counts_what_went_uncompressed() {
        let listed: Listed = serde_json::from_str(
            r#"{"page": "/", "files": [
                {"path": "/pkg/certdesk.wasm", "encoding": "br", "bytes": 200},
                {"path": "/pkg/certdesk.js", "encoding": "gzip", "bytes": 30},
                {"path": "/pkg/chunk_1.wasm", "encoding": null, "bytes": 50}]}"#,
        )
        .unwrap();
        let load = page_load(listed, |path| {
            Ok(match path {
                "pkg/certdesk.wasm" => 700,
                "pkg/certdesk.js" => 90,
                _ => 50,
            })
        })
        .unwrap();
        assert_eq!((load.files, load.sent, load.raw), (3, 280, 840));
        assert_eq!(load.uncompressed, 1);
        let missing = page_load(
            serde_json::from_str(r#"{"page": "/", "files": [{"path": "/pkg/x.wasm", "encoding": "br", "bytes": 1}]}"#)
                .unwrap(),
            |_| anyhow::bail!("no file"),
        );
        assert!(missing.is_err());
    }

    #[test]
    fn a_file_that_is_not_wasm_is_an_error_not_zero_constants() {
        let path = std::env::temp_dir().join(format!("certdesk-notwasm-{}", std::process::id()));
        std::fs::write(&path, b"a small chunk").unwrap();
        let read = data_bytes(&path);
        std::fs::remove_file(&path).unwrap();
        assert!(read.is_err());
    }

    /// Against the site `cargo leptos build --split` left in `target/site` (the test command
    /// builds it before the tests): every page group brings its own constants.
    #[test]
    fn every_page_group_of_the_built_site_carries_its_own_constants() {
        let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/site/pkg");
        assert!(
            pkg.join("__wasm_split_manifest.json").exists(),
            "no split site in {}: run `cargo leptos build --split` first",
            pkg.display()
        );
        let site = bundle(&pkg).unwrap();
        assert!(site.shell_data > 0, "the shell has constants of its own");
        assert_eq!(site.groups_without_data, Vec::<String>::new());
    }
}
