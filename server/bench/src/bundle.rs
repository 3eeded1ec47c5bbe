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
    pub all: Weight,
    pub chunks: usize,
}

pub fn bundle(pkg: &Path) -> anyhow::Result<Bundle> {
    let shell = weigh(&pkg.join("certdesk.wasm"))?;
    let mut all = Weight::default();
    let mut files = 0usize;
    for entry in std::fs::read_dir(pkg).with_context(|| format!("cannot read {}", pkg.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            all = all + weigh(&path)?;
            files += 1;
        }
    }
    Ok(Bundle {
        shell,
        all,
        chunks: files.saturating_sub(1),
    })
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

    #[test]
    fn the_bundle_is_the_shell_and_every_chunk() {
        let dir = std::env::temp_dir().join(format!("certdesk-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("certdesk.wasm"), vec![7u8; 4000]).unwrap();
        std::fs::write(dir.join("chunk_1.wasm"), b"a small chunk").unwrap();
        std::fs::write(dir.join("certdesk.js"), b"not counted").unwrap();
        let weighed = bundle(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(weighed.chunks, 1);
        assert_eq!(weighed.shell.raw, 4000);
        assert!(weighed.shell.brotli < 100, "repeated bytes compress");
        assert_eq!(weighed.all.raw, 4000 + 13);
    }
}
