//! Domain control validation in the simulator: the account's validated domains, a simulated DNS
//! and web that DigiCert's checks read, each order's DCV state, and the DCV and domain endpoints.
//!
//! A name is covered when the account holds a domain (the name or a parent of it) whose DCV has
//! not expired. Otherwise the order waits until its random value is found where the order's method
//! says — in the simulated DNS or web, which tests and the demo fill through `__simulator/records`.

use app::features::digicert::dcv::{
    CNAME_TARGET, DcvRecord, EMAIL_DCV_ENDS, HTTP_TOKEN_PATH, dcv_reuse_days, validation_name,
};
use app::features::digicert::payload::DcvMethod;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use time::{Date, Duration};

/// How long an order's random value stays usable.
const RANDOM_VALUE_DAYS: i64 = 30;

/// What the simulated internet holds: TXT and CNAME records, and files on web servers.
#[derive(Debug, Default)]
pub struct Records {
    txt: HashMap<String, Vec<String>>,
    cname: HashMap<String, String>,
    web: HashMap<String, String>,
}

/// One record to publish or remove (`__simulator/records`, `certdesk digicert-sim --txt …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Txt { name: String, value: String },
    Cname { name: String, target: String },
    Http { url: String, content: String },
}

impl Record {
    /// The record that satisfies a DCV record the portal shows; `None` for email.
    pub fn satisfying(record: &DcvRecord) -> Option<Record> {
        match record {
            DcvRecord::Txt { name, value } => Some(Record::Txt {
                name: name.clone(),
                value: value.clone(),
            }),
            DcvRecord::Cname { name, target } => Some(Record::Cname {
                name: name.clone(),
                target: target.clone(),
            }),
            DcvRecord::File { url, content } => Some(Record::Http {
                url: url.clone(),
                content: content.clone(),
            }),
            DcvRecord::Email => None,
        }
    }
}

fn dns_key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn url_key(url: &str) -> String {
    let url = url.trim();
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((host, path)) => format!(
                "{}://{}/{path}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            ),
            None => format!(
                "{}://{}/",
                scheme.to_ascii_lowercase(),
                rest.to_ascii_lowercase()
            ),
        },
        None => url.to_owned(),
    }
}

impl Records {
    pub fn publish(&mut self, record: &Record) {
        match record {
            Record::Txt { name, value } => {
                let values = self.txt.entry(dns_key(name)).or_default();
                if !values.contains(value) {
                    values.push(value.clone());
                }
            }
            Record::Cname { name, target } => {
                self.cname.insert(dns_key(name), dns_key(target));
            }
            Record::Http { url, content } => {
                self.web.insert(url_key(url), content.clone());
            }
        }
    }

    pub fn remove(&mut self, record: &Record) {
        match record {
            Record::Txt { name, value } => {
                if let Some(values) = self.txt.get_mut(&dns_key(name)) {
                    values.retain(|v| v != value);
                }
            }
            Record::Cname { name, .. } => {
                self.cname.remove(&dns_key(name));
            }
            Record::Http { url, .. } => {
                self.web.remove(&url_key(url));
            }
        }
    }

    /// Whether `method` finds `random_value` for `dns_name`, as DigiCert looks for it.
    pub fn proves(&self, method: DcvMethod, dns_name: &str, random_value: &str) -> bool {
        let name = dns_key(validation_name(dns_name));
        match method {
            // At the name itself or at `_dnsauth.<name>`.
            DcvMethod::DnsTxtToken => [name.clone(), format!("_dnsauth.{name}")]
                .iter()
                .filter_map(|n| self.txt.get(n))
                .flatten()
                .any(|v| v.trim() == random_value),
            DcvMethod::DnsCnameToken => self
                .cname
                .get(&format!("{random_value}.{name}"))
                .is_some_and(|t| t == CNAME_TARGET),
            DcvMethod::HttpToken => self
                .web
                .get(&url_key(&format!("http://{name}{HTTP_TOKEN_PATH}")))
                .is_some_and(|c| c.trim() == random_value),
            DcvMethod::Email => false,
        }
    }
}

/// A domain the account has validated.
#[derive(Debug, Clone)]
pub struct SimDomain {
    pub id: i64,
    pub name: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub validated_on: Date,
    pub method: DcvMethod,
}

impl SimDomain {
    pub fn dcv_expires(&self) -> Date {
        self.validated_on + Duration::days(dcv_reuse_days(self.validated_on))
    }

    fn covers(&self, name: &str, today: Date) -> bool {
        let name = dns_key(validation_name(name));
        today <= self.dcv_expires()
            && (name == self.name || name.ends_with(&format!(".{}", self.name)))
    }

    pub fn json(&self) -> Value {
        let expires = format!("{}T23:59:59+00:00", self.dcv_expires());
        json!({
            "id": self.id,
            "name": self.name,
            "is_active": true,
            "status": "active",
            "date_created": format!("{}T00:00:00+00:00", self.validated_on),
            "organization": { "id": self.organization_id, "status": "active", "name": self.organization_name },
            "validations": [{
                "type": "ov", "name": "OV", "description": "Normal Organization Validation",
                "date_created": format!("{}T00:00:00+00:00", self.validated_on),
                "validated_until": expires, "status": "active", "dcv_status": "complete",
            }],
            "dcv_method": self.method.as_str(),
            "dcv_expiration": { "ov": expires, "ev": expires },
        })
    }
}

/// The account's domains and the simulated internet.
#[derive(Debug)]
pub struct DcvWorld {
    pub records: Records,
    pub domains: Vec<SimDomain>,
    next_id: i64,
}

impl DcvWorld {
    /// `example.com` (validated 60 days ago) and `example.org` (180 days ago, so it lapses
    /// soon), both for Example Corp; everything else unvalidated.
    pub fn seeded(today: Date) -> DcvWorld {
        let mut world = DcvWorld {
            records: Records::default(),
            domains: Vec::new(),
            next_id: 700_001,
        };
        for (name, age) in [("example.com", 60), ("example.org", 180)] {
            world.add_domain(name, today - Duration::days(age), DcvMethod::DnsTxtToken);
        }
        world
    }

    fn add_domain(&mut self, name: &str, validated_on: Date, method: DcvMethod) {
        let name = dns_key(validation_name(name));
        self.domains.retain(|d| d.name != name);
        self.domains.push(SimDomain {
            id: self.next_id,
            name,
            organization_id: 1001,
            organization_name: "Example Corp".into(),
            validated_on,
            method,
        });
        self.next_id += 1;
    }

    /// The per-domain switch: DigiCert has validated `name` today (any method).
    pub fn validate(&mut self, name: &str, method: DcvMethod, today: Date) {
        self.add_domain(name, today, method);
    }

    pub fn covers(&self, name: &str, today: Date) -> bool {
        self.domains.iter().any(|d| d.covers(name, today))
    }

    pub fn domain(&self, id: i64) -> Option<&SimDomain> {
        self.domains.iter().find(|d| d.id == id)
    }
}

/// One name of an order and whether DigiCert counts it as validated.
#[derive(Debug, Clone)]
pub struct NameState {
    pub name: String,
    pub validated: bool,
}

/// An order's DCV: its method, random value and names.
#[derive(Debug, Clone)]
pub struct OrderDcv {
    pub method: DcvMethod,
    pub random_value: String,
    pub value_expires: Date,
    pub names: Vec<NameState>,
}

pub fn random_value() -> String {
    format!("{:032x}", rand::thread_rng().r#gen::<u128>())
}

impl OrderDcv {
    pub fn new(method: DcvMethod, names: &[String], world: &DcvWorld, today: Date) -> OrderDcv {
        let mut seen = Vec::<String>::new();
        for name in names {
            let name = dns_key(validation_name(name));
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        OrderDcv {
            method,
            random_value: random_value(),
            value_expires: today + Duration::days(RANDOM_VALUE_DAYS),
            names: seen
                .into_iter()
                .map(|name| NameState {
                    validated: world.covers(&name, today),
                    name,
                })
                .collect(),
        }
    }

    pub fn complete(&self) -> bool {
        self.names.iter().all(|n| n.validated)
    }

    /// Looks for every waiting name, as DigiCert's own polling does; answers how many passed.
    pub fn check(&mut self, world: &mut DcvWorld, today: Date) -> usize {
        let mut passed = 0;
        for state in self.names.iter_mut().filter(|n| !n.validated) {
            let proven = self.method.is_token()
                && today <= self.value_expires
                && world
                    .records
                    .proves(self.method, &state.name, &self.random_value);
            if proven {
                world.validate(&state.name, self.method, today);
            }
            if proven || world.covers(&state.name, today) {
                state.validated = true;
                passed += 1;
            }
        }
        passed
    }

    /// A new method (and with it a new random value), as `dcv-method` does.
    pub fn change_method(&mut self, method: DcvMethod, today: Date) {
        self.method = method;
        self.random_value = random_value();
        self.value_expires = today + Duration::days(RANDOM_VALUE_DAYS);
    }

    pub fn renew_value_if_expired(&mut self, today: Date) {
        if today > self.value_expires {
            self.change_method(self.method, today);
        }
    }

    pub fn name_validations(&self) -> Vec<Value> {
        self.names
            .iter()
            .map(|n| {
                json!({ "dns_name": n.name, "status": if n.validated { "approved" } else { "pending" } })
            })
            .collect()
    }

    /// The order-create answer's `domains[]`, ids counted from `first_id`.
    pub fn domains_json(&self, first_id: i64) -> Vec<Value> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut domain = json!({ "id": first_id + i as i64, "name": n.name });
                if self.method.is_token() {
                    let mut token = json!({
                        "token": self.random_value,
                        "status": if n.validated { "valid" } else { "pending" },
                        "expiration_date": format!("{}T23:59:59+00:00", self.value_expires),
                    });
                    match DcvRecord::for_name(self.method, &n.name, &self.random_value) {
                        DcvRecord::Cname { target, .. } => {
                            token["verification_value"] = json!(target)
                        }
                        DcvRecord::File { url, .. } => token["http_token_url"] = json!(url),
                        _ => {}
                    }
                    domain["dcv_token"] = token;
                }
                domain
            })
            .collect()
    }

    pub fn value_json(&self) -> Value {
        if self.method.is_token() {
            json!({
                "dcv_random_value": self.random_value,
                "expiration_date": format!("{}T23:59:59+00:00", self.value_expires),
            })
        } else {
            json!({})
        }
    }
}

/// DigiCert refuses email DCV from the SC-090 date on.
pub fn method_allowed(method: DcvMethod, today: Date) -> bool {
    method != DcvMethod::Email || today < EMAIL_DCV_ENDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 30);

    #[test]
    fn seeded_domains_cover_their_subdomains_and_nothing_else() {
        let world = DcvWorld::seeded(TODAY);
        assert!(world.covers("www.example.com", TODAY));
        assert!(world.covers("*.shop.example.org", TODAY));
        assert!(!world.covers("shop.example.net", TODAY));
        assert!(!world.covers("notexample.com", TODAY));
        // example.org was validated 180 days ago: 199 days of reuse end 19 days from now.
        let org = world
            .domains
            .iter()
            .find(|d| d.name == "example.org")
            .unwrap();
        assert_eq!(org.dcv_expires(), TODAY + Duration::days(19));
        assert!(!world.covers("example.org", TODAY + Duration::days(20)));
    }

    #[test]
    fn a_txt_record_proves_the_name_only_with_the_orders_value() {
        let mut world = DcvWorld::seeded(TODAY);
        let names = vec!["shop.example.net".to_owned(), "www.example.com".to_owned()];
        let mut dcv = OrderDcv::new(DcvMethod::DnsTxtToken, &names, &world, TODAY);
        assert!(!dcv.complete());
        assert_eq!(dcv.check(&mut world, TODAY), 0);
        world.records.publish(&Record::Txt {
            name: "_dnsauth.shop.example.net".into(),
            value: "not the value".into(),
        });
        assert_eq!(dcv.check(&mut world, TODAY), 0);
        world.records.publish(&Record::Txt {
            name: "_DNSAUTH.Shop.Example.Net.".into(),
            value: dcv.random_value.clone(),
        });
        assert_eq!(dcv.check(&mut world, TODAY), 1);
        assert!(dcv.complete());
        // The domain is the account's now: a new order for a subdomain needs nothing.
        assert!(world.covers("api.shop.example.net", TODAY));
    }

    #[test]
    fn cname_and_http_methods_look_where_digicert_looks() {
        let mut world = DcvWorld::seeded(TODAY);
        let names = vec!["a.example.net".to_owned()];
        let mut cname = OrderDcv::new(DcvMethod::DnsCnameToken, &names, &world, TODAY);
        world.records.publish(&Record::Cname {
            name: format!("{}.a.example.net", cname.random_value),
            target: "elsewhere.example".into(),
        });
        assert_eq!(cname.check(&mut world, TODAY), 0);
        world.records.publish(&Record::Cname {
            name: format!("{}.a.example.net", cname.random_value),
            target: "dcv.digicert.com.".into(),
        });
        assert_eq!(cname.check(&mut world, TODAY), 1);

        let names = vec!["b.example.net".to_owned()];
        let mut http = OrderDcv::new(DcvMethod::HttpToken, &names, &world, TODAY);
        world.records.publish(&Record::Http {
            url: "http://B.example.net/.well-known/pki-validation/fileauth.txt".into(),
            content: format!("{}\n", http.random_value),
        });
        assert_eq!(http.check(&mut world, TODAY), 1);
    }

    #[test]
    fn an_expired_value_or_email_proves_nothing_and_a_new_method_means_a_new_value() {
        let mut world = DcvWorld::seeded(TODAY);
        let names = vec!["c.example.net".to_owned()];
        let mut dcv = OrderDcv::new(DcvMethod::DnsTxtToken, &names, &world, TODAY);
        world.records.publish(&Record::Txt {
            name: "c.example.net".into(),
            value: dcv.random_value.clone(),
        });
        assert_eq!(dcv.check(&mut world, TODAY + Duration::days(31)), 0);
        let old = dcv.random_value.clone();
        dcv.change_method(DcvMethod::Email, TODAY);
        assert_ne!(dcv.random_value, old);
        assert_eq!(dcv.check(&mut world, TODAY), 0);
        assert!(method_allowed(DcvMethod::Email, date!(2028 - 03 - 14)));
        assert!(!method_allowed(DcvMethod::Email, date!(2028 - 03 - 15)));
    }
}
