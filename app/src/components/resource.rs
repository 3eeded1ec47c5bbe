//! Page data a server function loads: rendered on the server, handed to the browser inside the
//! page, and decoded there once more when the page hydrates.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON, decoded from bytes the way server functions decode their answers.
///
/// Every type the browser decodes with `serde_json` carries decoding code made for the reader it
/// reads from. Server functions read their answers from bytes; Leptos' own resource codec reads
/// the page's data from a `&str`, which made a second copy of every page type's decoder in the
/// browser bundle. One reader, one copy.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// A resource as [`Resource::new`] makes it, with its data encoded as [`Json`].
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_data_comes_back_as_it_went() {
        let data: Result<Vec<(String, u32)>, String> = Ok(vec![("ä \"quoted\"".into(), 7)]);
        let encoded = <Json as Encoder<_>>::encode(&data).unwrap();
        let decoded: Result<Vec<(String, u32)>, String> =
            <Json as Decoder<_>>::decode(encoded.as_str()).unwrap();
        assert_eq!(decoded, data);
    }

    #[test]
    fn data_that_is_not_json_is_an_error() {
        let decoded: Result<u32, _> = <Json as Decoder<u32>>::decode("{not json");
        assert!(decoded.is_err());
    }
}
