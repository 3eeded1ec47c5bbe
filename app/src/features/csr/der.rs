//! Just enough DER to read a PKCS#10 certificate signing request. Small on purpose: this code
//! also runs in the browser, where every kilobyte of wasm is paid for on each page load.

use std::fmt;

pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const CONTEXT_0: u8 = 0xA0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError(pub String);

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(what: impl Into<String>) -> Result<T, DerError> {
    Err(DerError(what.into()))
}

/// One tag-length-value element: its tag, its contents and all of its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    pub fn expect(self, tag: u8, what: &str) -> Result<Tlv<'a>, DerError> {
        if self.tag == tag {
            Ok(self)
        } else {
            err(format!(
                "expected {what} (tag {tag:#04x}), found tag {:#04x}",
                self.tag
            ))
        }
    }

    pub fn reader(self) -> Reader<'a> {
        Reader::new(self.content)
    }

    /// The bytes of a BIT STRING with no unused bits.
    pub fn bit_string_bytes(self) -> Result<&'a [u8], DerError> {
        match self.content.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => err("a bit string with unused bits"),
        }
    }

    pub fn oid(self) -> Result<String, DerError> {
        decode_oid(self.expect(OID, "an object identifier")?.content)
    }
}

/// Reads consecutive elements from a byte slice.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let bytes = &self.data[start..];
        let (&tag, rest) = bytes
            .split_first()
            .ok_or(DerError("the data ends early".into()))?;
        if tag & 0x1F == 0x1F {
            return err("a multi-byte tag");
        }
        let (&first, rest) = rest
            .split_first()
            .ok_or(DerError("the data ends early".into()))?;
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let count = (first & 0x7F) as usize;
            if count == 0 {
                return err("an indefinite length, which DER does not allow");
            }
            if count > 4 || rest.len() < count {
                return err("a length that does not fit");
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + count)
        };
        let end = header
            .checked_add(len)
            .filter(|end| *end <= bytes.len())
            .ok_or(DerError("an element longer than the data".into()))?;
        self.pos = start + end;
        Ok(Tlv {
            tag,
            content: &bytes[header..end],
            raw: &bytes[..end],
        })
    }

    pub fn finish(&self, what: &str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            err(format!("unexpected data after {what}"))
        }
    }
}

/// Dotted form of an object identifier, e.g. `2.5.4.3`.
pub fn decode_oid(content: &[u8]) -> Result<String, DerError> {
    if content.is_empty() {
        return err("an empty object identifier");
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for (i, byte) in content.iter().enumerate() {
        if value > (u64::MAX >> 7) {
            return err("an object identifier arc that is too large");
        }
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i == content.len() - 1 {
            return err("an object identifier that ends early");
        }
    }
    Ok(arcs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// A directory string (UTF8String, PrintableString, IA5String, T61String, BMPString).
pub fn decode_string(tlv: Tlv<'_>) -> Result<String, DerError> {
    match tlv.tag {
        0x0C | 0x13 | 0x16 | 0x12 | 0x1A => String::from_utf8(tlv.content.to_vec())
            .map_err(|_| DerError("a text value that is not valid UTF-8".into())),
        // T61String: treated as Latin-1, as most software does.
        0x14 => Ok(tlv.content.iter().map(|b| *b as char).collect()),
        0x1E => {
            if !tlv.content.len().is_multiple_of(2) {
                return err("a BMPString of odd length");
            }
            let units: Vec<u16> = tlv
                .content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).map_err(|_| DerError("a broken BMPString".into()))
        }
        other => err(format!("a text value of unknown type {other:#04x}")),
    }
}

/// Bit length of a non-negative INTEGER's contents.
pub fn unsigned_bits(content: &[u8]) -> u32 {
    let trimmed: &[u8] = match content.iter().position(|b| *b != 0) {
        Some(i) => &content[i..],
        None => return 0,
    };
    (trimmed.len() as u32 - 1) * 8 + (8 - trimmed[0].leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_decode() {
        assert_eq!(decode_oid(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
        assert_eq!(
            decode_oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]).unwrap(),
            "1.2.840.113549.1.1.11"
        );
        assert!(decode_oid(&[0x86]).is_err());
        assert!(decode_oid(&[]).is_err());
    }

    #[test]
    fn lengths_are_bounded() {
        assert!(Reader::new(&[0x30, 0x05, 0x01]).read().is_err());
        assert!(Reader::new(&[0x30, 0x80, 0x00, 0x00]).read().is_err());
        assert!(Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).read().is_err());
        let long = [&[0x04, 0x81, 0x80][..], &[7u8; 128]].concat();
        let tlv = Reader::new(&long).read().unwrap();
        assert_eq!(tlv.content.len(), 128);
    }

    #[test]
    fn integer_bits() {
        assert_eq!(unsigned_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(unsigned_bits(&[0x01]), 1);
        assert_eq!(unsigned_bits(&[0x00]), 0);
    }

    #[test]
    fn strings_decode() {
        let bmp = Tlv {
            tag: 0x1E,
            content: &[0x00, 0x41, 0x00, 0xE9],
            raw: &[],
        };
        assert_eq!(decode_string(bmp).unwrap(), "Aé");
    }
}
