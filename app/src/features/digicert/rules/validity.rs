//! How long orders and certificates run: the dated cap on public TLS certificates, order
//! validity of one to three years, and a certificate never outliving its order.

use super::*;

/// Longest public TLS certificate DigiCert issues, by issue date. DigiCert runs one day under the
/// CA/Browser Forum limit and moved to 199 days on 2026-02-24. The 2027 and 2029 steps follow the
/// Forum's schedule with the same one-day margin; DigiCert has not published its exact dates.
pub const PUBLIC_TLS_MAX_DAYS: &[(Date, u32)] = &[
    (time::macros::date!(2029 - 03 - 15), 46),
    (time::macros::date!(2027 - 03 - 15), 99),
    (time::macros::date!(2026 - 02 - 24), 199),
    (time::macros::date!(2000 - 01 - 01), 397),
];

/// Orders (Multi-year Plans included) run at most three years since 4–6-year plans ended.
pub const MAX_ORDER_YEARS: u32 = 3;

pub const MAX_ORDER_DAYS: u32 = 1095;

pub fn max_public_cert_days(on: Date) -> u32 {
    PUBLIC_TLS_MAX_DAYS
        .iter()
        .find(|(from, _)| on >= *from)
        .map(|(_, days)| *days)
        .unwrap_or(397)
}

/// Works out the order's length in days (`None` when it is missing or broken).
pub(super) fn check_order_validity(f: &mut Findings, body: &TlsOrder, today: Date) -> Option<u32> {
    let limit = add_years(today, MAX_ORDER_YEARS);
    if let Some(v) = &body.order_validity {
        return validity_days(
            f,
            "order_validity",
            v,
            today,
            limit,
            MAX_ORDER_YEARS,
            MAX_ORDER_DAYS,
        );
    }
    // The deprecated top-level fields; the most specific one wins.
    if let Some(IsoDate(end)) = body.custom_expiration_date {
        return end_date_days(f, "custom_expiration_date", end, today, limit);
    }
    if let Some(days) = body.validity_days {
        return day_count(f, "validity_days", days, MAX_ORDER_DAYS);
    }
    if let Some(years) = body.validity_years {
        return year_count(f, "validity_years", years, MAX_ORDER_YEARS);
    }
    f.required(
        "order_validity",
        "Choose how long the order runs (1 to 3 years).",
    );
    None
}

pub(super) fn check_cert_validity(
    f: &mut Findings,
    v: &Validity,
    order_days: Option<u32>,
    public: bool,
    today: Date,
) {
    let cap = if public {
        max_public_cert_days(today)
    } else {
        MAX_ORDER_DAYS
    };
    let limit = today + Duration::days(i64::from(cap));
    let Some(days) = validity_days(f, "certificate.cert_validity", v, today, limit, 1, cap) else {
        return;
    };
    if days > cap {
        f.invalid(
            "certificate.cert_validity",
            format!("Certificates issued today last at most {cap} days."),
        );
    } else if order_days.is_some_and(|order| days > order) {
        f.coded(
            "certificate.cert_validity",
            "cert_validity_exceeds_order_validity",
            "The certificate cannot outlast the order.",
        );
    }
}

/// Length in days of a `Validity`: end date, else days, else years (DigiCert's precedence).
pub(super) fn validity_days(
    f: &mut Findings,
    field: &str,
    v: &Validity,
    today: Date,
    latest_end: Date,
    max_years: u32,
    max_days: u32,
) -> Option<u32> {
    if let Some(DayMonthYear(end)) = v.custom_expiration_date {
        return end_date_days(
            f,
            &format!("{field}.custom_expiration_date"),
            end,
            today,
            latest_end,
        );
    }
    if let Some(days) = v.days {
        return day_count(f, &format!("{field}.days"), days, max_days);
    }
    if let Some(years) = v.years {
        return year_count(f, &format!("{field}.years"), years, max_years);
    }
    f.required(field, "Give years, days or an end date.");
    None
}

pub(super) fn end_date_days(
    f: &mut Findings,
    field: &str,
    end: Date,
    today: Date,
    latest: Date,
) -> Option<u32> {
    if end <= today {
        f.invalid(field, "The end date must be in the future.");
        return None;
    }
    if end > latest {
        f.invalid(
            field,
            format!("The end date must be on or before {}.", IsoDate(latest)),
        );
        return None;
    }
    Some((end - today).whole_days() as u32)
}

pub(super) fn day_count(f: &mut Findings, field: &str, days: u32, max: u32) -> Option<u32> {
    if days == 0 || days > max {
        f.invalid(field, format!("Choose between 1 and {max} days."));
        return None;
    }
    Some(days)
}

pub(super) fn year_count(f: &mut Findings, field: &str, years: u32, max: u32) -> Option<u32> {
    if years == 0 || years > max {
        let allowed = if max == 1 {
            "The only allowed value is 1 year.".to_owned()
        } else {
            format!("Choose between 1 and {max} years.")
        };
        f.invalid(field, allowed);
        return None;
    }
    Some(years * 365)
}

pub(super) fn add_years(date: Date, years: u32) -> Date {
    let target = date.year() + years as i32;
    date.replace_year(target).unwrap_or_else(|_| {
        date.replace_day(28)
            .and_then(|d| d.replace_year(target))
            .unwrap_or(date)
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn planned_days_follow_the_cap_and_the_order() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.cert_validity = None;
        body.order_validity = Some(Validity {
            years: Some(2),
            ..Validity::default()
        });
        let order = OrderRequest::Tls {
            product: p,
            body: body.clone(),
        };
        assert_eq!(planned_days(&order, TODAY), (730, 199));
        body.order_validity = Some(Validity {
            days: Some(90),
            ..Validity::default()
        });
        let order = OrderRequest::Tls { product: p, body };
        assert_eq!(planned_days(&order, TODAY), (90, 90));
    }

    #[test]
    fn the_dated_cap_is_199_days_now_and_397_before() {
        assert_eq!(max_public_cert_days(TODAY), 199);
        assert_eq!(max_public_cert_days(date!(2026 - 02 - 23)), 397);
        assert_eq!(max_public_cert_days(date!(2026 - 02 - 24)), 199);
        assert_eq!(max_public_cert_days(date!(2027 - 03 - 15)), 99);
    }

    #[test]
    fn certificate_validity_is_capped_and_never_above_order_validity() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.cert_validity = Some(Validity {
            days: Some(200),
            ..Validity::default()
        });
        let v = check(p, body.clone());
        assert_eq!(fields(&v), ["certificate.cert_validity.days"]);

        body.certificate.cert_validity = Some(Validity {
            days: Some(150),
            ..Validity::default()
        });
        body.order_validity = Some(Validity {
            days: Some(100),
            ..Validity::default()
        });
        let v = check(p, body.clone());
        assert_eq!(v[0].code, "cert_validity_exceeds_order_validity");

        body.certificate.cert_validity = Some(Validity {
            years: Some(1),
            ..Validity::default()
        });
        body.order_validity = Some(Validity {
            years: Some(2),
            ..Validity::default()
        });
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            ["certificate.cert_validity"],
            "1 year is above 199 days"
        );
    }

    #[test]
    fn order_validity_is_one_to_three_years() {
        for (validity, ok) in [
            (
                Validity {
                    years: Some(3),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    years: Some(4),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    years: Some(6),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    days: Some(1095),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    days: Some(2190),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2029 - 11 - 23))),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2029 - 11 - 24))),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2026 - 11 - 01))),
                    ..Validity::default()
                },
                false,
            ),
        ] {
            let (p, mut body) = tls(ProductId::SslSecuresitePro);
            body.order_validity = Some(validity.clone());
            let v = check(p, body);
            assert_eq!(v.is_empty(), ok, "{validity:?}: {v:?}");
            if !ok {
                assert!(
                    v[0].code.starts_with("invalid_value:order_validity"),
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn missing_order_validity_is_required_but_deprecated_fields_count() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.order_validity = None;
        assert_eq!(
            check(p, body.clone())[0].code,
            "required_param:order_validity"
        );
        body.validity_years = Some(2);
        assert_eq!(check(p, body.clone()), vec![]);
        body.validity_years = Some(6);
        assert_eq!(check(p, body)[0].code, "invalid_value:validity_years");
    }
}
