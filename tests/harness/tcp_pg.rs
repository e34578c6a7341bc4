//! A PostgreSQL of one test's own on 127.0.0.1 over TCP, reached as a remote database is: with TLS, its
//! certificate issued by a certificate authority made for the test (rcgen), or without TLS.
//!
//! The shared test cluster ([`crate::pg`]) listens on a Unix socket only, where PostgreSQL has no TLS;
//! this one listens on a free TCP port too and takes TCP connections only as the test says (`hostssl`
//! lines when it has TLS, so nothing unencrypted gets in by TCP). Its own Unix socket lets the test set
//! it up without TLS. Blocking; stopped (immediately) and deleted on drop.

use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use loket_core::db::embedded::{find_bin_dir, postgres_user};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::pg;

/// Times a start is tried on a fresh free port: the port is free when chosen, but another process may
/// take it before PostgreSQL binds it.
const START_ATTEMPTS: usize = 3;

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// Its certificate, PEM (what `sslrootcert` names).
    pub pem: String,
}

/// A server certificate and its private key, PEM.
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a CA key");
        let cert = params.self_signed(&key).expect("the CA certificate");
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` (host names, or IP addresses as text).
    pub fn server_cert(&self, names: &[&str]) -> ServerCert {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("server certificate parameters");
        params.distinguished_name.push(DnType::CommonName, names[0].as_str());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("a server key");
        let cert = params.signed_by(&key, &self.issuer).expect("the server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the CA's certificate into `dir` and returns its path.
    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.pem).expect("write the CA certificate");
        path
    }
}

/// A running PostgreSQL on `127.0.0.1:port`.
pub struct TcpPostgres {
    pub port: u16,
    dir: PathBuf,
    data: PathBuf,
}

impl TcpPostgres {
    /// Initialises and starts a cluster; with `tls`, `ssl = on` with that certificate and TCP connections
    /// only over TLS. Trust authentication (throwaway, on the loopback address).
    pub fn start(tls: Option<&ServerCert>) -> TcpPostgres {
        let dir = pg::scratch_dir("tcp-pg");
        let data = dir.join("data");
        let owner = postgres_user().expect("who runs PostgreSQL");
        if let Some(ids) = owner {
            chown(&dir, Some(ids.uid), Some(ids.gid)).expect("give the directory to PostgreSQL's user");
        }
        let bin = find_bin_dir().expect("PostgreSQL's binaries");
        run(
            pg::as_postgres(&bin.join("initdb"))
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "-D"])
                .arg(&data),
            "initdb",
        );
        let hba = match tls {
            Some(_) => "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            None => "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        };
        std::fs::write(data.join("pg_hba.conf"), hba).expect("write pg_hba.conf");
        if let Some(cert) = tls {
            std::fs::write(data.join("server.crt"), &cert.cert_pem).expect("write server.crt");
            let key = data.join("server.key");
            std::fs::write(&key, &cert.key_pem).expect("write server.key");
            // PostgreSQL refuses a key others may read.
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("protect server.key");
            if let Some(ids) = owner {
                for file in ["pg_hba.conf", "server.crt", "server.key"] {
                    chown(data.join(file), Some(ids.uid), Some(ids.gid)).expect("give the file to PostgreSQL's user");
                }
            }
        } else if let Some(ids) = owner {
            chown(data.join("pg_hba.conf"), Some(ids.uid), Some(ids.gid)).expect("give the file to PostgreSQL's user");
        }
        let ssl = if tls.is_some() { "on" } else { "off" };
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c ssl={ssl} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                dir.display()
            );
            let started = pg::as_postgres(&bin.join("pg_ctl"))
                .args(["-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(dir.join("postgres.log"))
                .args(["-o", &options, "start"])
                .current_dir("/")
                .stdin(Stdio::null())
                .output()
                .expect("run pg_ctl start");
            if started.status.success() {
                // Stopped even if this process dies without dropping it.
                pg::spawn_reaper(&dir);
                return TcpPostgres { port, dir, data };
            }
            let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
            assert!(
                attempt < START_ATTEMPTS && log.contains("could not bind"),
                "PostgreSQL on 127.0.0.1:{port} did not start: {}{}\n{log}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr)
            );
        }
        unreachable!("the loop returns or fails")
    }

    /// A URL for database `dbname` on `host` (`127.0.0.1` or `localhost`) with the query `params`.
    pub fn url(&self, host: &str, dbname: &str, params: &str) -> String {
        let query = if params.is_empty() {
            String::new()
        } else {
            format!("?{params}")
        };
        format!("postgres://postgres@{host}:{}/{dbname}{query}", self.port)
    }

    /// A key=value connection string through the cluster's Unix socket (no TLS), for the test's own setup.
    pub fn socket_conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={dbname}",
            self.dir.display(),
            self.port
        )
    }

    /// Creates database `name` (through the socket).
    pub async fn create_database(&self, name: &str) {
        pg::connect_plain(&self.socket_conninfo("postgres"))
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the database");
    }
}

impl Drop for TcpPostgres {
    fn drop(&mut self) {
        if let Ok(bin) = find_bin_dir() {
            let _ = pg::as_postgres(&bin.join("pg_ctl"))
                .args(["-w", "-m", "immediate", "-D"])
                .arg(&self.data)
                .arg("stop")
                .current_dir("/")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
