//! `POST finance/order-pricing`: DigiCert's price estimate for an order, and the price as certdesk
//! shows it. DigiCert answers 0 when it cannot estimate, which certdesk shows as "unknown".

use super::payload::OrderRequest;
use serde::{Deserialize, Serialize};

/// The body of a price estimate for an order.
pub fn pricing_query(order: &OrderRequest) -> serde_json::Value {
    let (product, names, years) = match order {
        OrderRequest::Tls { product, body } => {
            let mut names = vec![body.certificate.common_name.clone()];
            names.extend(body.certificate.dns_names.iter().cloned());
            let years = body
                .order_validity
                .as_ref()
                .and_then(|v| v.years.or_else(|| v.days.map(|d| d.div_ceil(365))))
                .or(body.validity_years)
                .unwrap_or(1);
            (product, names, years)
        }
        OrderRequest::DocumentSigning { product, body } => {
            (product, Vec::new(), body.validity_years)
        }
    };
    serde_json::json!({
        "product_name_id": product.name_id(),
        "certificate": { "dns_names": names },
        "order_validity": { "years": years.clamp(1, 3) },
    })
}

/// What an estimate depends on — product, years, and how many further names and wildcards — so
/// orders that differ only in their names share one cached estimate.
pub fn price_key(order: &OrderRequest) -> String {
    let query = pricing_query(order);
    let names: Vec<&str> = query["certificate"]["dns_names"]
        .as_array()
        .map(|n| n.iter().skip(1).filter_map(|n| n.as_str()).collect())
        .unwrap_or_default();
    let wildcards = names.iter().filter(|n| n.starts_with("*.")).count();
    format!(
        "{}/{}/{}/{}",
        query["product_name_id"],
        query["order_validity"]["years"],
        names.len() - wildcards,
        wildcards
    )
}

/// DigiCert's answer (prices may come as numbers or strings).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PriceAnswer {
    #[serde(default, deserialize_with = "amount")]
    pub total_price: f64,
    #[serde(default)]
    pub currency: Option<String>,
}

fn amount<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(f64),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::Number(n) => n,
        Either::Text(t) => t.trim().parse().unwrap_or(0.0),
    })
}

/// A known estimate, in the currency's hundredths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub cents: i64,
    pub currency: String,
}

impl Price {
    /// `None` for DigiCert's "cannot estimate" (zero, negative, or no usable currency).
    pub fn from_answer(answer: &PriceAnswer) -> Option<Price> {
        let currency = answer
            .currency
            .as_deref()
            .unwrap_or("USD")
            .trim()
            .to_uppercase();
        let valid_currency =
            currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase());
        let cents = (answer.total_price * 100.0).round();
        let known = answer.total_price.is_finite() && (1.0..1e12).contains(&cents);
        (known && valid_currency).then_some(Price {
            cents: cents as i64,
            currency,
        })
    }

    /// "USD 1,234.50".
    pub fn display(&self) -> String {
        let whole = (self.cents / 100).to_string();
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{} {grouped}.{:02}", self.currency, self.cents % 100)
    }
}

/// What pages show for an estimate that may be missing.
pub fn describe(price: Option<&Price>) -> String {
    price.map_or_else(|| "unknown".to_owned(), Price::display)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_unknown_never_free() {
        let zero: PriceAnswer =
            serde_json::from_str(r#"{"total_price":0,"currency":"USD"}"#).unwrap();
        assert_eq!(Price::from_answer(&zero), None);
        assert_eq!(describe(None), "unknown");
        let text: PriceAnswer = serde_json::from_str(r#"{"total_price":"0.00"}"#).unwrap();
        assert_eq!(Price::from_answer(&text), None);
    }

    #[test]
    fn known_prices_read_naturally() {
        let answer: PriceAnswer =
            serde_json::from_str(r#"{"base_price":782,"total_price":1234.5,"currency":"usd"}"#)
                .unwrap();
        let price = Price::from_answer(&answer).unwrap();
        assert_eq!(price.cents, 123_450);
        assert_eq!(price.display(), "USD 1,234.50");
        assert_eq!(
            Price {
                cents: 78_200,
                currency: "EUR".into()
            }
            .display(),
            "EUR 782.00"
        );
    }
}
