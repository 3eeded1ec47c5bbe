//! What the browser loads: the release wasm split into the shell and a chunk per page, and the
//! bytes a first visit to a page fetches, weighed as a server compressing with brotli would send
//! them. A real browser (`end2end/bundle-bytes.mjs`) lists the files; this weighs them.

use anyhow::{Context, bail};
use std::collections::BTreeMap;
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

/// A first visit: the page, who looks (`None`: signed out), and what it fetched from `/pkg/`.
pub struct PageLoad {
    pub page: String,
    pub files: usize,
    pub weight: Weight,
}

#[derive(serde::Deserialize)]
struct Listed {
    page: String,
    files: Vec<String>,
}

/// Opens each `(path, person)` in Chromium against `base` and weighs what it fetched.
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
    let mut weights = BTreeMap::new();
    listed
        .into_iter()
        .map(|visit| {
            let mut weight = Weight::default();
            for file in &visit.files {
                let relative = file.trim_start_matches('/');
                if !weights.contains_key(relative) {
                    weights.insert(relative.to_owned(), weigh(&site_root.join(relative))?);
                }
                weight = weight + weights[relative];
            }
            Ok(PageLoad {
                page: visit.page,
                files: visit.files.len(),
                weight,
            })
        })
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
