//! Server-side views and search: paged views with every filter and sort walked by cursor (checked against
//! the protocol's own `TicketView::matches` and `cmp`), REST parity, a ticket entering and leaving a view
//! live, full-text search (body, comments, internal notes, key spellings, reporter names, Indonesian with
//! and without accents, ranking), the page-size cap and bad cursors.

use std::collections::HashSet;

use loket_protocol::api::{Role, TicketPage};
use loket_protocol::queue::Access;
use loket_protocol::ticket::{Status, Ticket};
use loket_protocol::view::TicketView;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, ErrorCode, QueueId, TicketId};
use loket_tests::{AgentClient, TestServer, WsClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One page as answered over the WebSocket.
#[derive(Debug)]
struct Page {
    tickets: Vec<Ticket>,
    total: u64,
    total_exact: bool,
    next_cursor: Option<String>,
    position: u64,
    terms: Vec<String>,
}

/// Sends `GetTickets` with `view` (a JSON object of view fields, plus `limit`/`cursor`) and returns the page.
async fn page(ws: &mut WsClient, view: &Value) -> Page {
    let mut message = view.clone();
    message["type"] = json!("GetTickets");
    let (before, answer) = ws.call_collecting(message).await;
    assert!(
        matches!(answer, ServerMessage::Ack { .. }),
        "{view} was refused: {answer:?}"
    );
    let all = before
        .into_iter()
        .find(|m| matches!(m, ServerMessage::AllTickets { .. }))
        .unwrap_or_else(|| panic!("no AllTickets for {view}"));
    let ServerMessage::AllTickets {
        tickets,
        total,
        total_exact,
        next_cursor,
        position,
        terms,
        ..
    } = all
    else {
        unreachable!("found above")
    };
    Page {
        tickets,
        total,
        total_exact,
        next_cursor,
        position,
        terms,
    }
}

/// Every page of `view`, `limit` at a time, following the cursors; checks each page's total.
async fn walk(ws: &mut WsClient, view: &Value, limit: u32) -> (Vec<TicketId>, u64) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    loop {
        let mut ask = view.clone();
        ask["limit"] = json!(limit);
        if let Some(c) = &cursor {
            ask["cursor"] = json!(c);
        }
        let p = page(ws, &ask).await;
        assert!(p.tickets.len() <= limit as usize);
        assert_eq!(
            *total.get_or_insert(p.total),
            p.total,
            "the total stays put across pages of {view}"
        );
        ids.extend(p.tickets.iter().map(|t| t.id));
        match p.next_cursor {
            Some(next) => {
                assert_eq!(p.tickets.len(), limit as usize, "only the last page is short");
                cursor = Some(next);
            }
            None => break,
        }
    }
    (ids, total.unwrap_or(0))
}

/// `view` as a query string (lists comma-separated, values percent-encoded).
fn query_string(view: &Value) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let object = view.as_object().expect("a view object");
    object
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}={}", encode(&value))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Runs `sql` on the server's database.
async fn sql(server: &TestServer, sql: &str) {
    let client = server.pool.get().await.expect("a connection");
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Agents, categories, reporters and 120 tickets with every combination of fields, inserted by SQL;
/// `created_at` one minute apart, `updated_at` shuffled, some created in the same instant.
async fn desk_with_spread(server: &TestServer, ana: &AgentClient, ben: &AgentClient) {
    sql(
        server,
        &format!(
            "INSERT INTO categories (name) VALUES ('Jalan'), ('Lampu');
             INSERT INTO reporters (telegram_user_id, chat_id, name) VALUES (1, 1, 'Siti Rahayu'), (2, 2, 'Budi');
             INSERT INTO tickets (title, body, status, priority, category_id, reporter_id, assignee_id, created_at, updated_at)
             SELECT 'Ticket ' || g, 'body ' || g,
                    (ARRAY['new','open','pending','resolved','closed'])[1 + g % 5],
                    (ARRAY['low','normal','high','urgent'])[1 + (g / 5) % 4],
                    CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN (SELECT min(id) FROM categories) ELSE (SELECT max(id) FROM categories) END,
                    CASE WHEN g % 4 = 0 THEN NULL ELSE (SELECT id FROM reporters WHERE telegram_user_id = 1 + g % 2) END,
                    (ARRAY[{ana}, {ben}, NULL])[1 + (g / 2) % 3],
                    timestamptz '2025-06-01 08:00:00+00' + interval '1 minute' * (g - g % 7 / 6),
                    timestamptz '2025-06-01 08:00:00+00' + interval '1 minute' * ((g * 37) % 120)
             FROM generate_series(1, 120) g;",
            ana = ana.agent.id.0,
            ben = ben.agent.id.0
        ),
    )
    .await;
}

#[actix_rt::test]
async fn paged_views_with_every_filter_and_sort_agree_with_the_protocol_rules_and_rest() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let ben = server.agent("Ben", Role::Agent).await;
    desk_with_spread(&server, &ana, &ben).await;
    let me: AgentId = ana.agent.id;
    // Every ticket here is in the default queue, which every new agent joins.
    let access = Access::of(ana.agent.role, vec![QueueId::ORIGINAL]);
    let mut ws = ana.ws().await;

    // Everything, as the rules' input.
    let all: TicketPage = serde_json::from_value(ana.get("/api/tickets?status=any&limit=200").await.body).unwrap();
    assert_eq!((all.total, all.tickets.len()), (120, 120));
    let categories: Vec<i64> = {
        let mut c: Vec<i64> = all
            .tickets
            .iter()
            .filter_map(|t| t.category.as_ref().map(|c| c.id.0))
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let siti = all
        .tickets
        .iter()
        .find_map(|t| t.reporter.as_ref().filter(|r| r.name == "Siti Rahayu").map(|r| r.id.0))
        .unwrap();

    let views = [
        json!({}),
        json!({"status": "done"}),
        json!({"status": "any"}),
        json!({"status": ["new", "pending"]}),
        json!({"category_id": categories[0]}),
        json!({"status": "any", "category_id": categories[1], "sort": "oldest"}),
        json!({"assignee": "me"}),
        json!({"assignee": "nobody", "status": "any"}),
        json!({"assignee": ben.agent.id.0, "status": "done"}),
        json!({"reporter_id": siti, "status": "any", "sort": "updated"}),
        json!({"priority": ["high", "urgent"], "status": "any", "sort": "priority"}),
        json!({"sort": "priority"}),
        json!({"status": "any", "sort": "updated"}),
        json!({"status": "any", "sort": "oldest"}),
        json!({"status": "any", "created_after": "2025-06-01T08:30:00Z", "created_before": "2025-06-01T09:10:00Z"}),
        json!({"status": "any", "updated_after": "2025-06-01T08:20:00Z", "updated_before": "2025-06-01T09:00:00Z", "sort": "updated"}),
        json!({"assignee": "me", "priority": ["low"], "category_id": categories[0], "status": "any"}),
    ];
    for json_view in &views {
        let view: TicketView = serde_json::from_value(json_view.clone()).unwrap();
        let mut expected: Vec<&Ticket> = all.tickets.iter().filter(|t| view.matches(t, me, &access)).collect();
        expected.sort_by(|a, b| view.cmp(a, b));
        let expected: Vec<TicketId> = expected.iter().map(|t| t.id).collect();
        assert!(!expected.is_empty(), "{json_view} selects something");

        let (ids, total) = walk(&mut ws, json_view, 7).await;
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "no ticket twice across the pages of {json_view}"
        );
        assert_eq!(
            ids, expected,
            "pages of {json_view} are the protocol's matches in its order"
        );
        assert_eq!(total as usize, expected.len(), "total of {json_view}");

        // REST: the same first page, total and cursor.
        let first = page(&mut ws, &{
            let mut v = json_view.clone();
            v["limit"] = json!(7);
            v
        })
        .await;
        let rest = ana
            .get(&format!("/api/tickets?{}&limit=7", query_string(json_view)))
            .await;
        assert_eq!(rest.status, StatusCode::OK, "{json_view}: {rest:?}");
        let rest: TicketPage = serde_json::from_value(rest.body).unwrap();
        assert_eq!(
            rest.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
            first.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
            "REST and WebSocket answer {json_view} alike"
        );
        assert_eq!((rest.total, &rest.next_cursor), (first.total, &first.next_cursor));
    }

    // Without anything: open work, newest first, 50 at a time.
    let default = page(&mut ws, &json!({})).await;
    assert_eq!(default.tickets.len(), 50);
    assert!(
        default
            .tickets
            .iter()
            .all(|t| TicketView::default().matches(t, me, &access))
    );
    assert!(default.terms.is_empty());
    assert!(default.next_cursor.is_some());
    server.stop().await;
}

#[actix_rt::test]
async fn a_ticket_enters_and_leaves_a_filtered_view_live() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let ben = server.agent("Ben", Role::Agent).await;
    let me = ana.agent.id;
    let access = Access::of(ana.agent.role, vec![QueueId::ORIGINAL]);
    let mut a = ana.ws().await;
    let mut b = ben.ws().await;
    let id = crate::create_ticket(&mut b, "Lampu jalan mati di Jl. Melati").await;
    crate::create_ticket(&mut b, "Another one").await;

    let mine = json!({"status": ["open"], "assignee": "me"});
    let view: TicketView = serde_json::from_value(mine.clone()).unwrap();
    let before = page(&mut a, &mine).await;
    assert_eq!((before.total, before.tickets.len()), (0, 0));

    // Ben opens it and gives it to Ana: it starts to match.
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    b.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1,
                  "changes": {"status": "open", "assignee_id": me.0}}))
        .await;
    let (ticket, previous, position) = a
        .recv_until("TicketUpdated", |m| match m {
            ServerMessage::TicketUpdated {
                ticket,
                previous,
                position,
            } if ticket.id == id => Some((ticket.clone(), previous.clone(), *position)),
            _ => None,
        })
        .await;
    assert!(position > before.position, "the event comes after the snapshot");
    assert!(view.matches(&ticket, me, &access), "the rules say it entered");
    let previous = previous.expect("an update says what it changed");
    assert!(
        !view.matches(&previous.revert(&ticket), me, &access),
        "and that it did not match before, so a client not holding it counts one more"
    );
    let entered = page(&mut a, &mine).await;
    assert_eq!(entered.total, 1, "the server agrees");
    assert_eq!(entered.tickets[0].id, id);
    assert_eq!(
        entered.tickets[0].lock.as_ref().map(|l| l.holder.id),
        Some(ben.agent.id),
        "with its lock"
    );

    // Pending: it stops matching.
    b.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"status": "pending"}}))
        .await;
    let (ticket, previous) = a
        .recv_until("TicketUpdated", |m| match m {
            ServerMessage::TicketUpdated { ticket, previous, .. } if ticket.id == id && ticket.version == 3 => {
                Some((ticket.clone(), previous.clone().expect("previous")))
            }
            _ => None,
        })
        .await;
    assert!(!view.matches(&ticket, me, &access), "the rules say it left");
    assert_eq!(previous.status, Some(Status::Open), "it was open");
    assert!(
        view.matches(&previous.revert(&ticket), me, &access),
        "and matched before: one less"
    );
    let left = page(&mut a, &mine).await;
    assert_eq!((left.total, left.tickets.len()), (0, 0), "the server agrees");
    // The search text agrees for a word of the title, live.
    let search: TicketView = serde_json::from_value(json!({"status": "any", "text": "lampu mel"})).unwrap();
    assert!(search.matches(&ticket, me, &access));
    let found = page(&mut a, &json!({"status": "any", "text": "lampu mel"})).await;
    assert_eq!(found.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [id]);
    server.stop().await;
}

#[actix_rt::test]
async fn search_finds_words_in_bodies_comments_and_notes_keys_and_reporters_in_indonesian() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let me = ana.agent.id;
    let access = Access::of(ana.agent.role, vec![QueueId::ORIGINAL]);
    let mut ws = ana.ws().await;
    sql(
        &server,
        "INSERT INTO reporters (telegram_user_id, chat_id, name) VALUES (11, 11, 'Siti Rahayu'), (12, 12, 'José Müller');
         INSERT INTO tickets (title, body, reporter_id) VALUES
           ('Jalan rusak berlubang', 'Di depan Pasar Baru, Kelurahan Sukamaju.', (SELECT id FROM reporters WHERE telegram_user_id = 11)),
           ('Lampu jalan mati', 'Sejak Senin malam gelap total di Gang Kenanga.', NULL),
           ('Sampah menumpuk', 'Bau sekali, dekat kantor kelurahán lama.', (SELECT id FROM reporters WHERE telegram_user_id = 12)),
           ('Pohon tumbang', 'Menutup separuh jalan, dekat Café Melati.', NULL),
           ('Streetlight out', 'Near the school.', NULL);",
    )
    .await;
    let ids: Vec<TicketId> =
        serde_json::from_value::<TicketPage>(ana.get("/api/tickets?status=any&sort=oldest").await.body)
            .unwrap()
            .tickets
            .iter()
            .map(|t| t.id)
            .collect();
    let [rusak, lampu, sampah, pohon, street] = ids[..] else {
        panic!("five tickets: {ids:?}")
    };
    ws.call(json!({"type": "AddComment", "ticket_id": street.0, "body": "Trafo perlu diganti oleh PLN."}))
        .await;
    ws.call(json!({"type": "AddComment", "ticket_id": lampu.0, "body": "Catatan: kabel dicuri", "internal": true}))
        .await;
    ws.call(json!({"type": "AddComment", "ticket_id": pohon.0, "body": "Tim sudah berangkat"}))
        .await;

    let search = async |ws: &mut WsClient, text: &str| {
        let p = page(ws, &json!({"status": "any", "text": text})).await;
        assert_eq!(p.total as usize, p.tickets.len(), "{text}: one page here");
        (p.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), p.terms, p.tickets)
    };
    // A body word, a prefix, and words from a comment and an internal note.
    assert_eq!(search(&mut ws, "berlubang").await.0, [rusak]);
    assert_eq!(search(&mut ws, "Kenang").await.0, [lampu]);
    assert_eq!(search(&mut ws, "trafo").await.0, [street], "a public comment");
    assert_eq!(search(&mut ws, "kabel dicuri").await.0, [lampu], "an internal note");
    assert_eq!(
        search(&mut ws, "streetlight trafo").await.0,
        [street],
        "words from title and comment together"
    );
    // Indonesian phrases; every word must be there.
    assert_eq!(search(&mut ws, "lampu jalan mati").await.0, [lampu]);
    let (jalan_rusak, terms, tickets) = search(&mut ws, "jalan rusak").await;
    assert_eq!(jalan_rusak, [rusak]);
    assert_eq!(terms, ["jalan", "rusak"]);
    let highlighted = loket_protocol::view::highlight(&tickets[0].title, &terms);
    assert_eq!(highlighted, [(0, 5), (6, 11)]);
    // Accents either way: in the data (kelurahán, Café) and in the query (Kelurahán).
    let mut kelurahan = search(&mut ws, "Kelurahan").await.0;
    kelurahan.sort();
    assert_eq!(kelurahan, [rusak, sampah]);
    let mut accented = search(&mut ws, "kelurahán").await.0;
    accented.sort();
    assert_eq!(accented, [rusak, sampah]);
    assert_eq!(search(&mut ws, "cafe").await.0, [pohon]);
    // Ranking: a word in the title (weight A) before the same word in a body (B).
    let (jalan, _, _) = search(&mut ws, "jalan").await;
    assert_eq!(jalan.len(), 3);
    assert_eq!(jalan[2], pohon, "the body match ranks last: {jalan:?}");
    // Keys in any spelling; the key's ticket first.
    for spelling in [ids[1].key(), format!("tkt-{}", lampu.0), lampu.0.to_string()] {
        let (found, _, _) = search(&mut ws, &spelling).await;
        assert_eq!(found.first(), Some(&lampu), "{spelling}");
    }
    // Reporters by their exact name, case and accents aside.
    assert_eq!(search(&mut ws, "siti rahayu").await.0, [rusak]);
    assert_eq!(search(&mut ws, "jose muller").await.0, [sampah]);
    // The plain-code approximation agrees on what title and body words find.
    for (text, expect) in [("berlubang", rusak), ("lampu jalan mati", lampu), ("cafe", pohon)] {
        let view: TicketView = serde_json::from_value(json!({"status": "any", "text": text})).unwrap();
        let (_, _, tickets) = search(&mut ws, text).await;
        assert!(
            tickets.iter().all(|t| view.matches(t, me, &access) == (t.id == expect)),
            "{text}"
        );
    }
    // Nothing to search for is a mistake, said clearly; nothing found is an empty page.
    let (code, error) = ws.refused(json!({"type": "GetTickets", "text": "!!! ..."})).await;
    assert_eq!(code, ErrorCode::InvalidRequest, "{error:?}");
    assert!(search(&mut ws, "banjir").await.0.is_empty());
    // REST searches the same way.
    let rest: TicketPage =
        serde_json::from_value(ana.get("/api/tickets?status=any&text=kabel%20dicuri").await.body).unwrap();
    assert_eq!(rest.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [lampu]);
    assert_eq!(rest.terms, ["kabel", "dicuri"]);
    assert!(rest.total_exact);

    // A new title is searched at once, the comments' words stay; a status change keeps everything.
    ws.call(json!({"type": "LockTicket", "ticket_id": street.0})).await;
    ws.call(json!({"type": "UpdateTicket", "ticket_id": street.0, "version": 1,
                   "changes": {"title": "Lampu sekolah padam"}}))
        .await;
    assert!(
        search(&mut ws, "streetlight").await.0.is_empty(),
        "the old title is gone"
    );
    assert_eq!(search(&mut ws, "sekolah padam").await.0, [street]);
    assert_eq!(
        search(&mut ws, "trafo").await.0,
        [street],
        "the comment's words are kept"
    );
    ws.call(json!({"type": "UpdateTicket", "ticket_id": street.0, "version": 2,
                   "changes": {"status": "open", "body": "Near the school gate."}}))
        .await;
    assert_eq!(
        search(&mut ws, "gate trafo padam").await.0,
        [street],
        "body, comment and title"
    );
    // Open work is searched through its own index: a ticket leaving open work leaves its searches.
    let open_work = |text: &str| json!({"text": text});
    assert_eq!(page(&mut ws, &open_work("padam")).await.tickets[0].id, street);
    ws.call(json!({"type": "UpdateTicket", "ticket_id": street.0, "version": 3, "changes": {"status": "pending"}}))
        .await;
    assert_eq!(
        page(&mut ws, &open_work("padam")).await.tickets.len(),
        1,
        "pending is open work"
    );
    ws.call(json!({"type": "UpdateTicket", "ticket_id": street.0, "version": 4, "changes": {"status": "resolved"}}))
        .await;
    assert!(
        page(&mut ws, &open_work("padam")).await.tickets.is_empty(),
        "resolved: not open work"
    );
    let done = page(&mut ws, &json!({"text": "padam", "status": "done"})).await;
    assert_eq!(done.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [street]);
    ws.call(json!({"type": "UpdateTicket", "ticket_id": street.0, "version": 5, "changes": {"status": "open"}}))
        .await;
    assert_eq!(
        page(&mut ws, &open_work("padam")).await.tickets.len(),
        1,
        "reopened: open work again"
    );
    server.stop().await;
}

#[actix_rt::test]
async fn a_search_counts_up_to_a_thousand_and_pages_through_every_match() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut ws = ana.ws().await;
    // 1,003 reports of a flood and 999 of fallen trees.
    sql(
        &server,
        "INSERT INTO tickets (title, body, created_at)
         SELECT 'Banjir di RT ' || g, 'Air masuk rumah warga.', timestamptz '2025-01-01 00:00:00+00' + interval '1 minute' * g
         FROM generate_series(1, 1003) g;
         INSERT INTO tickets (title, body, created_at)
         SELECT 'Pohon tumbang ' || g, 'Menutup jalan.', timestamptz '2025-03-01 00:00:00+00' + interval '1 minute' * g
         FROM generate_series(1, 999) g;",
    )
    .await;
    let first = page(&mut ws, &json!({"status": "any", "text": "banjir"})).await;
    assert_eq!((first.total, first.total_exact), (1000, false), "counted up to the cap");
    assert_eq!(first.tickets.len(), 50);
    let trees = page(&mut ws, &json!({"status": "any", "text": "pohon tumbang"})).await;
    assert_eq!((trees.total, trees.total_exact), (999, true), "under the cap, exact");
    // Without text every count is exact.
    let all = page(&mut ws, &json!({"status": "any"})).await;
    assert_eq!((all.total, all.total_exact), (2002, true));
    // Sorted by newest, a walk finds every match, past the count and past the ranking window.
    let mut ids = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut ask = json!({"status": "any", "text": "banjir", "sort": "newest", "limit": 200});
        if let Some(c) = &cursor {
            ask["cursor"] = json!(c);
        }
        let p = page(&mut ws, &ask).await;
        assert_eq!((p.total, p.total_exact), (1000, false));
        assert!(p.tickets.iter().all(|t| t.title.starts_with("Banjir")));
        ids.extend(p.tickets.iter().map(|t| t.id));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len(), 1003, "every match once");
    // REST says the same.
    let rest: TicketPage = serde_json::from_value(ana.get("/api/tickets?status=any&text=banjir").await.body).unwrap();
    assert_eq!((rest.total, rest.total_exact), (1000, false));
    server.stop().await;
}

#[actix_rt::test]
async fn limits_are_capped_and_bad_cursors_are_refused_clearly() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut ws = ana.ws().await;
    sql(
        &server,
        "INSERT INTO tickets (title) SELECT 'Ticket ' || g FROM generate_series(1, 230) g",
    )
    .await;
    let capped = page(&mut ws, &json!({"limit": 500})).await;
    assert_eq!(
        (capped.tickets.len(), capped.total),
        (200, 230),
        "a larger limit is cut to 200"
    );
    let rest: TicketPage = serde_json::from_value(ana.get("/api/tickets?limit=1000").await.body).unwrap();
    assert_eq!(rest.tickets.len(), 200);
    let rest_next = ana
        .get(&format!("/api/tickets?limit=1000&cursor={}", rest.next_cursor.unwrap()))
        .await;
    assert_eq!(rest_next.body["tickets"].as_array().map(Vec::len), Some(30));
    assert!(
        rest_next.body.get("next_cursor").is_none(),
        "the last page has no cursor"
    );

    let (code, error) = ws.refused(json!({"type": "GetTickets", "limit": 0})).await;
    assert_eq!(code, ErrorCode::InvalidRequest, "{error:?}");
    let (code, error) = ws
        .refused(json!({"type": "GetTickets", "cursor": "not-a-cursor"}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    let ServerMessage::Error { message, .. } = error else {
        unreachable!()
    };
    assert!(
        message.contains("cursor") && message.contains("first page"),
        "{message}"
    );
    let newest = capped.next_cursor.unwrap();
    let (code, error) = ws
        .refused(json!({"type": "GetTickets", "sort": "oldest", "cursor": newest}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    let ServerMessage::Error { message, .. } = error else {
        unreachable!()
    };
    assert!(message.contains("sorted by newest, not oldest"), "{message}");
    for bad in [
        "limit=0",
        "cursor=xyz",
        "status=asleep",
        "assignee=someone",
        "sort=sideways",
    ] {
        let reply = ana.get(&format!("/api/tickets?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {reply:?}");
        assert_eq!(reply.body["code"], "invalid_request", "{bad}");
    }
    // Nothing changed and the session still works.
    assert_eq!(page(&mut ws, &json!({})).await.total, 230);
    server.stop().await;
}
