//! Every pasted or uploaded CSR goes through `csr::inspect` in the browser and on the server:
//! PEM/base64 decoding, certdesk's own DER reader, the subject, SANs, key and algorithm checks.
//! Whatever the bytes, it must answer a report: no panic, no hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = app::features::csr::inspect(data);
    // A refusal always says why; an accepted CSR always has its key.
    assert!(report.ok || !report.errors.is_empty() || report.private_key_refused);
    if report.ok {
        assert!(report.key.is_some());
    }
});
