//! What a sample certificate says, read with `x509-parser` into plain data that requirement checks
//! can judge without knowing X.509.

use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

/// A parsed sample certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCert {
    /// The subject, RFC 4514 style (`C=US, O=Example Org, CN=...`), attributes in certificate order.
    pub subject: String,
    /// The subject's attributes in certificate order: short name (or dotted OID) and value.
    pub subject_attributes: Vec<(String, String)>,
    pub issuer: String,
    /// The serial number, lowercase hex with colons.
    pub serial: String,
    /// notBefore and notAfter, seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The validity period counted as RFC 5280 counts it: both notBefore and notAfter are inside it,
    /// so it is notAfter − notBefore + 1 second. A certificate "valid for 398 days" by OpenSSL's
    /// `default_days = 398` has 398 days and 1 second.
    pub validity_seconds: i64,
    /// `basicConstraints` cA, when the extension is present.
    pub ca: Option<bool>,
    /// Key usage bits by their RFC 5280 names (`digitalSignature`, `keyEncipherment`, ...); `None`
    /// when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    /// Extended key usages by OpenSSL short name (`serverAuth`, `clientAuth`, `emailProtection`,
    /// `codeSigning`, `timeStamping`, `OCSPSigning`, `anyExtendedKeyUsage`) or dotted OID; `None`
    /// when the extension is absent.
    pub extended_key_usage: Option<Vec<String>>,
    /// Authority information access entries.
    pub aia: Vec<AccessUrl>,
    /// URIs of the CRL distribution points' full names.
    pub crl_urls: Vec<String>,
    /// Certificate policies with their CPS URIs.
    pub policies: Vec<Policy>,
    /// Subject alternative names, OpenSSL style (`DNS:...`, `email:...`, `URI:...`, `IP:...`).
    pub san: Vec<String>,
    /// Every extension in certificate order.
    pub extensions: Vec<CertExtension>,
    /// The subject public key algorithm, dotted OID.
    pub key_algorithm: String,
    /// The signature algorithm, dotted OID.
    pub signature_algorithm: String,
}

/// One AIA entry: its access method (`OCSP`, `caIssuers` or a dotted OID) and URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUrl {
    pub method: String,
    pub url: String,
}

/// One certificate policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Dotted OID.
    pub oid: String,
    /// CPS URI qualifiers.
    pub cps: Vec<String>,
    /// Dotted OIDs of every qualifier (CPS `1.3.6.1.5.5.7.2.1`, user notice `1.3.6.1.5.5.7.2.2`).
    pub qualifiers: Vec<String>,
}

/// One extension's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertExtension {
    /// Dotted OID.
    pub oid: String,
    pub critical: bool,
}

/// The certificate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an X.509 certificate: {0}")]
pub struct CertError(pub String);

/// Parses one DER certificate.
pub fn parse_certificate(der: &[u8]) -> Result<SampleCert, CertError> {
    let (rest, x509) = X509Certificate::from_der(der).map_err(|e| CertError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertError(format!(
            "{} bytes of trailing data after the certificate",
            rest.len()
        )));
    }
    let validity = x509.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let mut cert = SampleCert {
        subject: x509.subject().to_string(),
        subject_attributes: subject_attributes(&x509),
        issuer: x509.issuer().to_string(),
        serial: x509.raw_serial_as_string(),
        not_before,
        not_after,
        validity_seconds: not_after - not_before + 1,
        ca: None,
        key_usage: None,
        extended_key_usage: None,
        aia: Vec::new(),
        crl_urls: Vec::new(),
        policies: Vec::new(),
        san: Vec::new(),
        extensions: Vec::new(),
        key_algorithm: x509.public_key().algorithm.algorithm.to_id_string(),
        signature_algorithm: x509.signature_algorithm.algorithm.to_id_string(),
    };
    for ext in x509.extensions() {
        cert.extensions.push(CertExtension {
            oid: ext.oid.to_id_string(),
            critical: ext.critical,
        });
        cert.record(ext.parsed_extension());
    }
    Ok(cert)
}

/// The subject's attributes in certificate order: short name (or dotted OID) and value.
fn subject_attributes(x509: &X509Certificate<'_>) -> Vec<(String, String)> {
    let registry = x509_parser::objects::oid_registry();
    x509.subject()
        .iter_attributes()
        .map(|a| {
            let name = x509_parser::objects::oid2abbrev(a.attr_type(), registry)
                .map(str::to_string)
                .unwrap_or_else(|_| a.attr_type().to_id_string());
            let value = a
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|_| String::from_utf8_lossy(a.attr_value().data).into_owned());
            (name, value)
        })
        .collect()
}

impl SampleCert {
    /// Records what one extension says in the field that holds it.
    fn record(&mut self, ext: &ParsedExtension<'_>) {
        match ext {
            ParsedExtension::BasicConstraints(bc) => self.ca = Some(bc.ca),
            ParsedExtension::KeyUsage(ku) => self.key_usage = Some(key_usage_names(ku)),
            ParsedExtension::ExtendedKeyUsage(eku) => {
                self.extended_key_usage = Some(extended_key_usage_names(eku));
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                self.aia.extend(aia.accessdescs.iter().map(|d| AccessUrl {
                    method: match d.access_method.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.48.1" => "OCSP".to_string(),
                        "1.3.6.1.5.5.7.48.2" => "caIssuers".to_string(),
                        other => other.to_string(),
                    },
                    url: general_name(&d.access_location),
                }));
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in &points.points {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        self.crl_urls.extend(names.iter().filter_map(|n| match n {
                            GeneralName::URI(u) => Some(u.to_string()),
                            _ => None,
                        }));
                    }
                }
            }
            ParsedExtension::CertificatePolicies(policies) => {
                self.policies.extend(policies.iter().map(policy));
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                self.san = san.general_names.iter().map(general_name).collect();
            }
            _ => {}
        }
    }
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<String> {
    let bits = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ];
    bits.iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn extended_key_usage_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let named = [
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
        (eku.any, "anyExtendedKeyUsage"),
    ];
    let mut all: Vec<String> = named
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n.to_string())
        .collect();
    all.extend(eku.other.iter().map(|o| o.to_id_string()));
    all
}

fn policy(p: &x509_parser::extensions::PolicyInformation<'_>) -> Policy {
    let qualifiers = p.policy_qualifiers.as_deref().unwrap_or_default();
    Policy {
        oid: p.policy_id.to_id_string(),
        cps: qualifiers
            .iter()
            .filter(|q| q.policy_qualifier_id.to_id_string() == "1.3.6.1.5.5.7.2.1")
            .filter_map(|q| ia5(q.qualifier))
            .collect(),
        qualifiers: qualifiers
            .iter()
            .map(|q| q.policy_qualifier_id.to_id_string())
            .collect(),
    }
}

fn general_name(n: &GeneralName<'_>) -> String {
    match n {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => s.to_string(),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP:{}", std::net::Ipv6Addr::from(a))
            }
            _ => "IP:?".to_string(),
        },
        GeneralName::DirectoryName(name) => format!("dirName:{name}"),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        other => format!("{other:?}"),
    }
}

/// The text of a DER IA5String (a CPS URI qualifier).
fn ia5(der: &[u8]) -> Option<String> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x16 {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = if len < 0x80 {
        (usize::from(len), rest)
    } else {
        let n = usize::from(len & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| a << 8 | usize::from(b));
        (len, &rest[n..])
    };
    rest.get(..len)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}
