//! The two date formats of the Services API: `dd MMM YYYY` inside `order_validity` and
//! `cert_validity`, `yyyy-MM-dd` at the top level of an order.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{Date, Month};

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A date written `09 JUN 2025`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayMonthYear(pub Date);

/// A date written `2025-06-09`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoDate(pub Date);

impl fmt::Display for DayMonthYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let month = MONTHS[self.0.month() as usize - 1];
        write!(f, "{:02} {month} {:04}", self.0.day(), self.0.year())
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month() as u8,
            self.0.day()
        )
    }
}

impl DayMonthYear {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("\"{text}\" is not a date like 09 JUN 2025");
        let mut parts = text.split_whitespace();
        let (Some(day), Some(month), Some(year), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let month_index = MONTHS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(month))
            .ok_or_else(bad)?;
        let month = Month::try_from(month_index as u8 + 1).map_err(|_| bad())?;
        let day: u8 = day.parse().map_err(|_| bad())?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        Date::from_calendar_date(year, month, day)
            .map(DayMonthYear)
            .map_err(|_| bad())
    }
}

impl IsoDate {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("\"{text}\" is not a date like 2025-06-09");
        let mut parts = text.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let month = Month::try_from(m.parse::<u8>().map_err(|_| bad())?).map_err(|_| bad())?;
        Date::from_calendar_date(
            y.parse().map_err(|_| bad())?,
            month,
            d.parse().map_err(|_| bad())?,
        )
        .map(IsoDate)
        .map_err(|_| bad())
    }
}

macro_rules! string_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                <$ty>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(DayMonthYear);
string_serde!(IsoDate);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn formats_match_the_documentation() {
        assert_eq!(
            DayMonthYear(date!(2025 - 06 - 09)).to_string(),
            "09 JUN 2025"
        );
        assert_eq!(IsoDate(date!(2025 - 06 - 09)).to_string(), "2025-06-09");
    }

    #[test]
    fn both_formats_round_trip_through_json() {
        let d = DayMonthYear(date!(2026 - 12 - 31));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"31 DEC 2026\"");
        assert_eq!(serde_json::from_str::<DayMonthYear>(&json).unwrap(), d);
        let i = IsoDate(date!(2027 - 01 - 02));
        assert_eq!(serde_json::to_string(&i).unwrap(), "\"2027-01-02\"");
        assert_eq!(
            serde_json::from_str::<IsoDate>("\"2027-01-02\"").unwrap(),
            i
        );
    }

    #[test]
    fn parsing_accepts_lower_case_months_and_refuses_nonsense() {
        assert_eq!(
            DayMonthYear::parse("9 jun 2025").unwrap().0,
            date!(2025 - 06 - 09)
        );
        for bad in ["", "31 FEB 2025", "09 JUNE 2025", "2025-06-09", "09 JUN"] {
            assert!(DayMonthYear::parse(bad).is_err(), "{bad}");
        }
        for bad in ["", "2025-6-9", "09 JUN 2025", "2025-13-01"] {
            assert!(IsoDate::parse(bad).is_err(), "{bad}");
        }
    }
}
