//! The core's API for the bot (`loket_core::reporting`), called on the server's own desk against a real
//! database: typed outcomes for registration, typed `not_found` for whatever is not the reporter's, pages
//! of their own tickets, and the categories they choose from.

use loket_core::AppError;
use loket_core::reporting::{CodeRefusal, Language, NewReporter, Registration, Reporter, StoredFile};
use loket_protocol::api::{NewTicket, Role};
use loket_protocol::ticket::Status;
use loket_protocol::{CategoryId, CommentId, ReporterId, TicketId};
use loket_tests::{AgentClient, TestServer};
use serde_json::json;

use crate::bot::invite;

fn newcomer<'a>(telegram_user_id: i64, name: &'a str, code: &'a str) -> NewReporter<'a> {
    NewReporter {
        telegram_user_id,
        chat_id: telegram_user_id,
        name,
        language: Language::En,
        code,
    }
}

async fn registered(server: &TestServer, admin: &AgentClient, telegram_user_id: i64, name: &str) -> Reporter {
    let code = invite(admin, 1).await;
    match server
        .desk()
        .register_reporter(newcomer(telegram_user_id, name, &code))
        .await
    {
        Ok(Registration::Registered(reporter)) => reporter,
        other => panic!("{name} not registered: {other:?}"),
    }
}

async fn uses_of(admin: &AgentClient, code: &str) -> i64 {
    let codes = admin.get("/api/invite-codes").await;
    codes
        .body
        .as_array()
        .expect("a list of codes")
        .iter()
        .find(|c| c["code"] == code)
        .expect("the code")["uses"]
        .as_i64()
        .expect("a count")
}

async fn file(server: &TestServer, reporter: ReporterId, title: &str) -> TicketId {
    let new = NewTicket {
        title: title.into(),
        body: "details".into(),
        priority: Default::default(),
        category_id: None,
    };
    server.desk().file_report(reporter, new, None).await.expect("filed").id
}

fn not_found(result: Result<impl std::fmt::Debug, AppError>) -> &'static str {
    match result {
        Err(AppError::NotFound(what)) => what,
        other => panic!("expected not_found, got {other:?}"),
    }
}

#[actix_rt::test]
async fn registration_counts_a_code_only_for_a_new_reporter_and_says_why_a_code_is_refused() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let desk = server.desk();
    let code = invite(&admin, 5).await;

    assert_eq!(desk.reporter_by_telegram(3001).await.unwrap(), None);
    let mut sari = newcomer(3001, "Sari", &code);
    sari.language = Language::Id;
    let Registration::Registered(reporter) = desk.register_reporter(sari).await.unwrap() else {
        panic!("Sari is not registered");
    };
    assert_eq!((reporter.name.as_str(), reporter.chat_id), ("Sari", 3001));
    assert_eq!(desk.reporter_by_telegram(3001).await.unwrap(), Some(reporter.clone()));
    assert_eq!(uses_of(&admin, &code).await, 1);

    // The same account again: nothing changes, and the code's use is not counted.
    assert_eq!(
        desk.register_reporter(sari).await.unwrap(),
        Registration::AlreadyRegistered
    );
    assert_eq!(uses_of(&admin, &code).await, 1);

    assert_eq!(
        desk.register_reporter(newcomer(3002, "Ben", "no-such-code"))
            .await
            .unwrap(),
        Registration::Refused(CodeRefusal::Unknown)
    );
    let revoked = invite(&admin, 5).await;
    admin.delete(&format!("/api/invite-codes/{revoked}"), None).await;
    assert_eq!(
        desk.register_reporter(newcomer(3002, "Ben", &revoked)).await.unwrap(),
        Registration::Refused(CodeRefusal::Revoked)
    );
    // The API refuses to create an expired code: write one as time would have left it.
    let client = server.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO invite_codes (code, max_uses, expires_at) VALUES ('old-code', 5, now() - interval '1 day')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        desk.register_reporter(newcomer(3002, "Ben", "old-code")).await.unwrap(),
        Registration::Refused(CodeRefusal::Expired)
    );
    let single = invite(&admin, 1).await;
    registered_with(desk, newcomer(3003, "Cici", &single)).await;
    assert_eq!(
        desk.register_reporter(newcomer(3002, "Ben", &single)).await.unwrap(),
        Registration::Refused(CodeRefusal::UsedUp)
    );
    assert_eq!(
        desk.reporter_by_telegram(3002).await.unwrap(),
        None,
        "refused: not registered"
    );

    desk.set_reporter_language(reporter.id, Language::En).await.unwrap();
    let now = desk.reporter_by_telegram(3001).await.unwrap().expect("Sari");
    assert_eq!(now.language, Language::En);
    assert_eq!(
        not_found(desk.set_reporter_language(ReporterId(999_999), Language::Id).await),
        "reporter"
    );
}

async fn registered_with(desk: &loket_core::Desk, new: NewReporter<'_>) {
    assert!(matches!(
        desk.register_reporter(new).await.unwrap(),
        Registration::Registered(_)
    ));
}

#[actix_rt::test]
async fn a_reporter_pages_through_only_their_own_tickets_and_anothers_is_not_found() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let desk = server.desk();
    let ana = registered(&server, &admin, 3101, "Ana").await;
    let ben = registered(&server, &admin, 3102, "Ben").await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(file(&server, ana.id, &format!("Ana's ticket {n}")).await);
    }
    let bens = file(&server, ben.id, "Ben's ticket").await;

    let first = desk.reporter_tickets(ana.id, 0, 2).await.unwrap();
    assert_eq!((first.page, first.total), (0, 5));
    let shown: Vec<TicketId> = first.tickets.iter().map(|t| t.id).collect();
    assert_eq!(shown, [ids[4], ids[3]], "newest first");
    assert_eq!(first.tickets[0].status, Status::New);
    assert_eq!(first.tickets[0].title, "Ana's ticket 5");

    let past_the_end = desk.reporter_tickets(ana.id, 99, 2).await.unwrap();
    assert_eq!(past_the_end.page, 2, "the last page instead");
    assert_eq!(past_the_end.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(desk.reporter_tickets(ana.id, -1, 2).await.unwrap().page, 0);
    assert_eq!(
        desk.reporter_tickets(ana.id, 0, 0).await.unwrap().tickets.len(),
        1,
        "at least one a page"
    );

    let bens_page = desk.reporter_tickets(ben.id, 0, 6).await.unwrap();
    assert_eq!(bens_page.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [bens]);
    let nobody = desk.reporter_tickets(ReporterId(999_999), 3, 6).await.unwrap();
    assert_eq!((nobody.page, nobody.total, nobody.tickets.len()), (0, 0, 0));

    assert_eq!(desk.reporter_ticket(ana.id, ids[2]).await.unwrap().id, ids[2]);
    assert_eq!(not_found(desk.reporter_ticket(ana.id, bens).await), "ticket");
    assert_eq!(
        not_found(desk.reporter_ticket(ana.id, TicketId(999_999)).await),
        "ticket"
    );
}

#[actix_rt::test]
async fn offered_categories_come_by_name_and_an_unknown_or_retired_one_is_not_found() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let desk = server.desk();
    assert!(desk.report_categories().await.unwrap().is_empty());
    for name in ["roads", "Lighting", "Parks"] {
        admin.post("/api/categories", json!({"name": name})).await;
    }
    let categories = desk.report_categories().await.unwrap();
    let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Lighting", "Parks", "roads"], "by name, ignoring case");
    assert_eq!(desk.report_category(categories[1].id).await.unwrap(), categories[1]);
    assert_eq!(not_found(desk.report_category(CategoryId(999_999)).await), "category");

    // A retired category is no longer offered, and its stale button is not accepted.
    let parks = categories[1].id;
    let retired = admin
        .patch(&format!("/api/categories/{}", parks.0), json!({"retired": true}))
        .await;
    assert!(retired.body["retired_at"].is_string(), "{retired:?}");
    let offered = desk.report_categories().await.unwrap();
    assert_eq!(
        offered.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Lighting", "roads"]
    );
    assert_eq!(not_found(desk.report_category(parks).await), "category");
}

#[actix_rt::test]
async fn a_telegram_file_counts_as_recorded_only_where_it_was_recorded() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let desk = server.desk();
    let ana = registered(&server, &admin, 3201, "Ana").await;
    let ben = registered(&server, &admin, 3202, "Ben").await;
    let ticket = file(&server, ana.id, "A pothole").await;
    let stored = StoredFile {
        comment: None,
        file_name: "photo.jpg".into(),
        content_type: "image/jpeg".into(),
        content: std::sync::Arc::from(&b"photo"[..]),
        telegram_file_id: Some("tg-file-1".into()),
    };
    assert!(
        !desk
            .reporter_file_recorded(ana.id, ticket, None, "tg-file-1")
            .await
            .unwrap()
    );
    desk.reporter_attachment(ana.id, ticket, stored).await.unwrap();

    assert!(
        desk.reporter_file_recorded(ana.id, ticket, None, "tg-file-1")
            .await
            .unwrap()
    );
    assert!(
        !desk
            .reporter_file_recorded(ana.id, ticket, None, "tg-file-2")
            .await
            .unwrap()
    );
    let comment = desk.reporter_comment(ana.id, ticket, "More").await.unwrap();
    assert!(
        !desk
            .reporter_file_recorded(ana.id, ticket, Some(comment.id), "tg-file-1")
            .await
            .unwrap(),
        "not with a follow-up"
    );
    assert!(
        !desk
            .reporter_file_recorded(ben.id, ticket, None, "tg-file-1")
            .await
            .unwrap(),
        "not for another reporter"
    );
    assert!(
        !desk
            .reporter_file_recorded(ana.id, ticket, Some(CommentId(999_999)), "tg-file-1")
            .await
            .unwrap()
    );
}
