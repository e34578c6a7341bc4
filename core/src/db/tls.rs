//! TLS to PostgreSQL: the libpq TLS settings of a connection string that tokio-postgres does not read
//! itself (`sslmode=verify-ca`, `sslmode=verify-full`, `sslrootcert`), which transport a connection takes,
//! and the rustls configuration that verifies the server.
//!
//! Loket verifies every TLS connection: under `prefer` and `require` as under `verify-full` (certificate
//! chain and host name), under `verify-ca` the chain only. libpq's unverified `require` is not offered:
//! an encrypted connection to whoever answers protects nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{Host, SslMode};

/// `sslrootcert`'s value that names the system's root certificates (as libpq 16 spells it).
const SYSTEM_ROOTS: &str = "system";

/// A connection string read: tokio-postgres's settings and the TLS settings read here.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    /// Everything tokio-postgres reads. `verify-ca` and `verify-full` appear here as `require`.
    pub config: tokio_postgres::Config,
    pub tls: TlsOptions,
}

/// The TLS settings tokio-postgres leaves to Loket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// What `sslmode` asked to check of the server's certificate (`verify-ca`, `verify-full`); `None`
    /// for the other modes, under which Loket checks everything, as under `verify-full`.
    pub verify: Option<Verify>,
    /// The certificates trusted to have issued the server's (`sslrootcert`).
    pub roots: Roots,
}

/// What of the server's certificate is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verify {
    /// Chain and host name (`prefer`, `require`, `verify-full`).
    #[default]
    Full,
    /// The chain only: any name the trusted issuers certified will do (`verify-ca`).
    ChainOnly,
}

/// The certificates trusted to have issued the server's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Roots {
    /// The system's root certificates and Mozilla's (no `sslrootcert`, or `sslrootcert=system`).
    #[default]
    System,
    /// Only the PEM certificates in this file (`sslrootcert=/path/ca.pem`), e.g. a private CA's or the
    /// server's own self-signed certificate.
    File(PathBuf),
}

/// Why a connection string or its TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnInfoError {
    #[error("{}", super::Causes(.0))]
    Parse(#[from] tokio_postgres::Error),
    #[error("sslrootcert {}: {reason}", .path.display())]
    RootCert { path: PathBuf, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Reads `conninfo` (a `postgres://` URL or libpq's `key=value` form).
pub fn parse(conninfo: &str) -> Result<ConnSettings, ConnInfoError> {
    let mut tls = TlsOptions::default();
    let rest = if conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://") {
        split_url(conninfo, &mut tls)
    } else {
        split_key_values(conninfo, &mut tls)
    };
    let config = rest.parse()?;
    Ok(ConnSettings { config, tls })
}

/// Reads the parameter `key` = `value` into `tls` if it is one of ours. `None`: not ours, pass it on to
/// tokio-postgres; `Some(None)`: ours, leave it out; `Some(Some(pair))`: ours, pass `pair` on instead.
fn take_ours(key: &str, value: &str, tls: &mut TlsOptions) -> Option<Option<&'static str>> {
    match (key, value) {
        ("sslmode", "verify-full") => {
            tls.verify = Some(Verify::Full);
            Some(Some("sslmode=require"))
        }
        ("sslmode", "verify-ca") => {
            tls.verify = Some(Verify::ChainOnly);
            Some(Some("sslmode=require"))
        }
        ("sslrootcert", SYSTEM_ROOTS) => {
            tls.roots = Roots::System;
            Some(None)
        }
        ("sslrootcert", path) => {
            tls.roots = Roots::File(PathBuf::from(path));
            Some(None)
        }
        _ => None,
    }
}

/// The URL without our query parameters (tokio-postgres refuses those it does not know).
fn split_url(url: &str, tls: &mut TlsOptions) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match take_ours(&percent_decode(key), &percent_decode(value), tls) {
            Some(Some(replacement)) => kept.push(replacement.to_string()),
            Some(None) => {}
            None => kept.push(pair.to_string()),
        }
    }
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// `%XX` escapes decoded (a malformed one is kept as it is); `+` stays `+`, as libpq reads it.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` string without our pairs. A string that does not tokenise is returned as it is, for
/// tokio-postgres to explain what is wrong with it.
fn split_key_values(conninfo: &str, tls: &mut TlsOptions) -> String {
    let Some(pairs) = key_value_pairs(conninfo) else {
        return conninfo.to_string();
    };
    let mut kept = Vec::new();
    for (key, value, raw) in pairs {
        match take_ours(&key, &value, tls) {
            Some(Some(replacement)) => kept.push(replacement.to_string()),
            Some(None) => {}
            None => kept.push(raw.to_string()),
        }
    }
    kept.join(" ")
}

/// libpq's `key = value` pairs (values optionally in single quotes, `\` escaping the next character),
/// each with its text as written; `None` if the string is not of that form.
fn key_value_pairs(conninfo: &str) -> Option<Vec<(String, String, &str)>> {
    let chars: Vec<(usize, char)> = conninfo.char_indices().collect();
    let end = conninfo.len();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(end, |&(o, _)| o);
    let mut pairs = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if at(i).is_none() {
            return Some(pairs);
        }
        let start = i;
        let mut key = String::new();
        while let Some(c) = at(i).filter(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
            i += 1;
        }
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if key.is_empty() || at(i) != Some('=') {
            return None;
        }
        i += 1;
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        let mut value = String::new();
        if at(i) == Some('\'') {
            i += 1;
            loop {
                match at(i)? {
                    '\'' => {
                        i += 1;
                        break;
                    }
                    '\\' => {
                        value.push(at(i + 1)?);
                        i += 2;
                    }
                    c => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(c) = at(i).filter(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(at(i + 1)?);
                    i += 2;
                } else {
                    value.push(c);
                    i += 1;
                }
            }
        }
        pairs.push((key, value, &conninfo[offset(start)..offset(i)]));
    }
}

/// The libpq settings (`PGSSLMODE`, `PGSSLROOTCERT`) under which PostgreSQL's own tools (`pg_dump`,
/// `pg_restore`) reach the server as Loket does, as far as libpq can: with `sslrootcert`, `require`
/// becomes `verify-full` (libpq would check only the issuer); without it, libpq uses its own root
/// certificate file (`~/.postgresql/root.crt`), and `require` is libpq's, which encrypts without verifying.
pub fn libpq_env(settings: &ConnSettings) -> Vec<(&'static str, String)> {
    let mode = match (settings.config.get_ssl_mode(), settings.tls.verify, &settings.tls.roots) {
        (SslMode::Disable, ..) => "disable",
        (_, Some(Verify::Full), _) | (SslMode::Require, None, Roots::File(_)) => "verify-full",
        (_, Some(Verify::ChainOnly), _) => "verify-ca",
        (SslMode::Require, None, Roots::System) => "require",
        _ => "prefer",
    };
    let mut env = vec![("PGSSLMODE", mode.to_string())];
    if let Roots::File(path) = &settings.tls.roots {
        env.push(("PGSSLROOTCERT", path.to_string_lossy().into_owned()));
    }
    env
}

/// How connections to the database travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Unencrypted: `sslmode=disable`, Unix sockets (the embedded cluster), and `sslmode=prefer` (the
    /// default) when every host is this machine, where nothing crosses a network.
    Plain,
    /// TLS through rustls, the server's certificate verified (see [`Verify`]) against [`Roots`]. With
    /// `prefer` a server that offers no TLS is still used unencrypted; with `require`, `verify-ca` and
    /// `verify-full` it is refused. A server whose certificate does not verify is refused either way.
    Tls,
}

/// The transport `config`'s `sslmode` and hosts call for.
pub fn transport(config: &tokio_postgres::Config) -> Transport {
    let hosts = config.get_hosts();
    let tcp_hosts: Vec<String> = hosts
        .iter()
        .filter_map(|host| match host {
            Host::Tcp(name) => Some(name.clone()),
            Host::Unix(_) => None,
        })
        .chain(config.get_hostaddrs().iter().map(|ip| ip.to_string()))
        .collect();
    let loopback = |host: &String| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    match config.get_ssl_mode() {
        SslMode::Disable => Transport::Plain,
        // PostgreSQL has no TLS over Unix sockets.
        _ if tcp_hosts.is_empty() && !hosts.is_empty() => Transport::Plain,
        SslMode::Prefer if !tcp_hosts.is_empty() && tcp_hosts.iter().all(loopback) => Transport::Plain,
        _ => Transport::Tls,
    }
}

/// The certificates `roots` names. A file must hold at least one PEM certificate.
pub fn root_store(roots: &Roots) -> Result<RootCertStore, ConnInfoError> {
    match roots {
        Roots::System => {
            let mut store = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let native = rustls_native_certs::load_native_certs();
            let (added, ignored) = store.add_parsable_certificates(native.certs);
            tracing::debug!(
                added,
                ignored,
                errors = native.errors.len(),
                "system root certificates for the database"
            );
            Ok(store)
        }
        Roots::File(path) => {
            let refused = |reason: String| ConnInfoError::RootCert {
                path: path.clone(),
                reason,
            };
            let certs = read_certificates(path).map_err(refused)?;
            let mut store = RootCertStore::empty();
            for cert in certs {
                store
                    .add(cert)
                    .map_err(|e| refused(format!("a certificate in it cannot be used: {e}")))?;
            }
            Ok(store)
        }
    }
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot be read: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// The rustls configuration for `tls`, with the ring crypto provider chosen explicitly (so no
/// process-wide default is needed).
pub fn client_config(tls: &TlsOptions) -> Result<rustls::ClientConfig, ConnInfoError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(root_store(&tls.roots)?);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnInfoError::Tls(e.to_string()))?;
    let config = match tls.verify.unwrap_or_default() {
        Verify::Full => builder.with_root_certificates(roots),
        Verify::ChainOnly => {
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| ConnInfoError::Tls(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        }
    };
    Ok(config.with_no_client_auth())
}

/// `verify-ca`: WebPKI's verification of the chain (validity, issuers, revocation), without the host
/// name check that comes after it.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // WebPKI checks the name only once the chain has verified.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport_of(conninfo: &str) -> Transport {
        transport(&parse(conninfo).expect("a valid conninfo").config)
    }

    fn tls_of(conninfo: &str) -> TlsOptions {
        parse(conninfo).expect("a valid conninfo").tls
    }

    #[test]
    fn sslmode_and_hosts_choose_the_transport() {
        // A remote server: TLS unless disabled; `prefer` is the default.
        assert_eq!(transport_of("postgres://loket@db.example.org/loket"), Transport::Tls);
        assert_eq!(
            transport_of("postgres://loket@db.example.org/loket?sslmode=prefer"),
            Transport::Tls
        );
        assert_eq!(
            transport_of("postgres://loket@db.example.org/loket?sslmode=require"),
            Transport::Tls
        );
        assert_eq!(
            transport_of("postgres://loket@db.example.org/loket?sslmode=disable"),
            Transport::Plain
        );
        assert_eq!(transport_of("host=10.0.0.5 user=loket sslmode=require"), Transport::Tls);
        // This machine: only `require` and the verifying modes encrypt.
        assert_eq!(transport_of("postgres://loket@localhost/loket"), Transport::Plain);
        assert_eq!(transport_of("postgres://loket@127.0.0.1:5432/loket"), Transport::Plain);
        assert_eq!(transport_of("postgres://loket@[::1]/loket"), Transport::Plain);
        assert_eq!(
            transport_of("postgres://loket@localhost/loket?sslmode=require"),
            Transport::Tls
        );
        assert_eq!(
            transport_of("postgres://loket@localhost/loket?sslmode=verify-full"),
            Transport::Tls
        );
        assert_eq!(transport_of("host=127.0.0.1 sslmode=verify-ca"), Transport::Tls);
        // One remote host among several is enough to need TLS.
        assert_eq!(transport_of("host=localhost,db.example.org user=loket"), Transport::Tls);
        // Unix sockets (the embedded cluster): never TLS, whatever sslmode says.
        assert_eq!(
            transport_of("host=/tmp/loket/run port=5432 user=postgres dbname=loket"),
            Transport::Plain
        );
        assert_eq!(
            transport_of("host=/tmp/loket/run user=postgres sslmode=require"),
            Transport::Plain
        );
        // hostaddr without host is TCP too.
        assert_eq!(transport_of("hostaddr=192.0.2.10 user=loket"), Transport::Tls);
    }

    #[test]
    fn libpq_tls_settings_are_read_from_urls_and_key_values() {
        assert_eq!(tls_of("postgres://db.example.org/loket"), TlsOptions::default());
        let url = parse("postgres://u:p%40ss@db.example.org:6432/loket?sslmode=verify-ca&sslrootcert=%2Fetc%2Floket%2Fca%20db.pem&application_name=loket").unwrap();
        assert_eq!(
            url.tls,
            TlsOptions {
                verify: Some(Verify::ChainOnly),
                roots: Roots::File("/etc/loket/ca db.pem".into()),
            }
        );
        assert_eq!(url.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(url.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(url.config.get_ports(), &[6432]);
        assert_eq!(url.config.get_application_name(), Some("loket"));

        let kv =
            parse("host=db.example.org  sslrootcert = '/etc/it\\'s ca.pem' sslmode=verify-full dbname=loket").unwrap();
        assert_eq!(
            kv.tls,
            TlsOptions {
                verify: Some(Verify::Full),
                roots: Roots::File("/etc/it's ca.pem".into()),
            }
        );
        assert_eq!(kv.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(kv.config.get_dbname(), Some("loket"));

        assert_eq!(tls_of("host=db.example.org sslrootcert=system").roots, Roots::System);
        assert_eq!(tls_of("host=db.example.org sslmode=require").verify, None);
        assert_eq!(
            parse("host=db.example.org sslmode=require")
                .unwrap()
                .config
                .get_ssl_mode(),
            SslMode::Require
        );
        // What neither knows is still refused, by tokio-postgres, with its words.
        let refused = parse("postgres://db.example.org/loket?sslmode=sometimes").unwrap_err();
        assert!(refused.to_string().contains("sslmode"), "{refused}");
        assert!(parse("host=db.example.org sslcert=/tmp/client.pem").is_err());
        assert!(parse("host='unterminated").is_err());
    }

    #[test]
    fn postgresql_tools_get_the_same_tls_settings() {
        let env = |conninfo: &str| libpq_env(&parse(conninfo).unwrap());
        let mode = |v: &str| ("PGSSLMODE", v.to_string());
        assert_eq!(env("host=db.example.org"), vec![mode("prefer")]);
        assert_eq!(env("host=db.example.org sslmode=disable"), vec![mode("disable")]);
        assert_eq!(env("host=db.example.org sslmode=require"), vec![mode("require")]);
        assert_eq!(env("host=db.example.org sslmode=verify-ca"), vec![mode("verify-ca")]);
        assert_eq!(
            env("postgres://db.example.org/loket?sslmode=require&sslrootcert=/etc/ca.pem"),
            vec![mode("verify-full"), ("PGSSLROOTCERT", "/etc/ca.pem".to_string())]
        );
        assert_eq!(
            env("host=db.example.org sslmode=verify-ca sslrootcert=/etc/ca.pem"),
            vec![mode("verify-ca"), ("PGSSLROOTCERT", "/etc/ca.pem".to_string())]
        );
    }

    #[test]
    fn percent_escapes_are_decoded_and_malformed_ones_kept() {
        assert_eq!(percent_decode("%2Fa%20b"), "/a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz+"), "%zz+");
    }

    #[test]
    fn a_root_certificate_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("loket-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let refused = root_store(&Roots::File(empty.clone())).unwrap_err().to_string();
        assert!(refused.contains("holds no PEM certificate"), "{refused}");
        let missing = root_store(&Roots::File(dir.join("missing.pem")))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot be read"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!root_store(&Roots::System).unwrap().is_empty());
    }

    #[test]
    fn both_verification_modes_build_a_client_configuration() {
        for verify in [Verify::Full, Verify::ChainOnly] {
            client_config(&TlsOptions {
                verify: Some(verify),
                roots: Roots::System,
            })
            .expect("a rustls configuration");
        }
    }
}
