//! TLS to a remote `DATABASE_URL`: a PostgreSQL of the test's own on 127.0.0.1 with `ssl = on` and a
//! certificate from a CA made for the test. Loket connects as `sslmode` and `sslrootcert` say, really over
//! TLS (`pg_stat_ssl`), verifies the certificate, and refuses clearly what it cannot trust or encrypt.

use loket_protocol::api::Role;
use loket_server::config::Config;
use loket_tests::tcp_pg::{TcpPostgres, TestCa};
use loket_tests::{TestServer, pg};
use reqwest::StatusCode;
use serde_json::json;

use crate::data_dir::loket_with;

/// Starts Loket on `url` in-process, checks it serves from that database, and answers whether its own
/// connection is encrypted, as PostgreSQL sees it.
async fn serve_and_ask_ssl(url: String) -> bool {
    let config = Config::for_database(url, pg::scratch_dir("tls-data"));
    let server = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    let admin = server.agent("Ana", Role::Admin).await;
    let created = admin.post("/api/tickets", json!({"title": "Over TLS"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let ssl: bool = server
        .pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    server.stop().await;
    ssl
}

/// Runs `loket migrate` on `url` as a process, expecting it to fail; answers what it said.
async fn refused(url: &str) -> String {
    let ran = loket_with(&pg::scratch_dir("tls-refused"), &["migrate"], &[("DATABASE_URL", url)]).await;
    assert!(!ran.success, "`loket migrate` on {url} should fail: {}", ran.stdout);
    ran.stderr
}

#[actix_rt::test]
async fn loket_reaches_a_tls_database_as_sslmode_says_and_verifies_the_certificate() {
    loket_tests::init_logging();
    let ca = TestCa::new("Loket test CA");
    // The certificate names `localhost` only: reached as 127.0.0.1, its name does not match.
    let cert = ca.server_cert(&["localhost"]);
    let db = TcpPostgres::start(Some(&cert));
    for name in ["tls_require", "tls_full", "tls_ca"] {
        db.create_database(name).await;
    }
    let files = pg::scratch_dir("tls-ca");
    let ca_file = ca.write_pem(&files);
    let root = format!("sslrootcert={}", ca_file.display());

    // `require` with the CA's certificate: connected, and encrypted.
    assert!(
        serve_and_ask_ssl(db.url("localhost", "tls_require", &format!("sslmode=require&{root}"))).await,
        "sslmode=require connects over TLS"
    );
    // `verify-full` with the CA: the certificate names the host connected to.
    assert!(
        serve_and_ask_ssl(db.url("localhost", "tls_full", &format!("sslmode=verify-full&{root}"))).await,
        "sslmode=verify-full connects over TLS"
    );
    // `verify-ca` checks the issuer only, so 127.0.0.1 will do.
    assert!(
        serve_and_ask_ssl(db.url("127.0.0.1", "tls_ca", &format!("sslmode=verify-ca&{root}"))).await,
        "sslmode=verify-ca connects over TLS"
    );

    // Without the CA, the certificate is not trusted, whatever the mode; the error says what to do.
    // (127.0.0.1 for every refusal: `localhost` may also mean ::1, where nothing listens, and a refusal
    // reports the last address tried.)
    let untrusted = refused(&db.url("127.0.0.1", "tls_require", "sslmode=require")).await;
    assert!(untrusted.contains("invalid peer certificate"), "{untrusted}");
    assert!(untrusted.contains("sslrootcert="), "says how to trust it: {untrusted}");
    // `verify-full` (and `require`, which verifies as much) refuses a certificate for another name.
    for mode in ["verify-full", "require"] {
        let misnamed = refused(&db.url("127.0.0.1", "tls_full", &format!("sslmode={mode}&{root}"))).await;
        assert!(misnamed.contains("invalid peer certificate"), "{misnamed}");
        assert!(misnamed.contains("not for the host name"), "{misnamed}");
    }
    // A root certificate file that is not there is refused before anything connects.
    let missing = refused(&db.url(
        "127.0.0.1",
        "tls_full",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            files.join("nowhere.pem").display()
        ),
    ))
    .await;
    assert!(
        missing.contains("sslrootcert") && missing.contains("cannot be read"),
        "{missing}"
    );
    // Another CA's certificate is no help.
    let other_file = TestCa::new("Some other CA").write_pem(&pg::scratch_dir("tls-other-ca"));
    let other = refused(&db.url(
        "127.0.0.1",
        "tls_ca",
        &format!("sslmode=verify-ca&sslrootcert={}", other_file.display()),
    ))
    .await;
    assert!(other.contains("invalid peer certificate"), "{other}");
}

#[actix_rt::test]
async fn sslmode_require_against_a_server_without_tls_fails_clearly() {
    loket_tests::init_logging();
    let db = TcpPostgres::start(None);
    db.create_database("plain").await;
    let said = refused(&db.url("127.0.0.1", "plain", "sslmode=require")).await;
    assert!(said.contains("cannot connect to the database"), "{said}");
    assert!(said.contains("server does not support TLS"), "{said}");
    assert!(said.contains("turn on ssl"), "says what to do: {said}");
    // The same server is fine where TLS was not asked for (this machine: nothing crosses a network).
    assert!(
        !serve_and_ask_ssl(db.url("127.0.0.1", "plain", "")).await,
        "sslmode=prefer to 127.0.0.1 stays unencrypted"
    );
}
