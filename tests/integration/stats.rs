//! Statistics (issue 12, docs/stats.md): tickets filed, answered, resolved, reopened and rated through
//! the real WebSocket, REST and desk, then `GET /api/stats` checked exactly for counts and within the
//! documented error for medians and 90th percentiles; the CSV says the same; `loket_stats_rebuild`
//! recomputes exactly what the triggers kept; a non-admin sees only their queues; SLA compliance counts
//! the clocks met, breached (by the real sweep) and pending.

use loket_core::domain::stats::max_relative_error;
use loket_protocol::api::{NewTicket, Role};
use loket_protocol::sla::{SlaPolicy, SlaTarget};
use loket_protocol::stats::Stats;
use loket_protocol::ticket::Status;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{QueueId, TicketId};
use loket_tests::{AgentClient, TestServer, WsClient};
use reqwest::StatusCode;
use serde_json::json;

use crate::bot::desk_reporter;
use crate::create_ticket;

/// Creates a queue as `admin` and returns its id.
pub(crate) async fn queue(admin: &AgentClient, name: &str) -> QueueId {
    let reply = admin.post("/api/queues", json!({"name": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    QueueId(reply.body["id"].as_i64().expect("a queue id"))
}

/// The ticket's current version, read over REST.
async fn version(client: &AgentClient, id: TicketId) -> i64 {
    let detail = client.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.status, StatusCode::OK, "{detail:?}");
    detail.body["ticket"]["version"].as_i64().expect("a version")
}

/// Locks ticket `id` and applies `changes` over `ws`; panics unless acknowledged.
pub(crate) async fn update(ws: &mut WsClient, client: &AgentClient, id: TicketId, changes: serde_json::Value) {
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let version = version(client, id).await;
    let answer = ws
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": changes}))
        .await;
    assert!(
        matches!(answer, loket_protocol::ws::ServerMessage::Ack { .. }),
        "{answer:?}"
    );
    ws.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
}

/// Takes ticket `id` the lifecycle's way to resolved (open, pending, resolved).
pub(crate) async fn resolve(ws: &mut WsClient, client: &AgentClient, id: TicketId) {
    let detail = client.get(&format!("/api/tickets/{}", id.0)).await;
    let mut at: Status = serde_json::from_value(detail.body["ticket"]["status"].clone()).expect("a status");
    for next in [Status::Open, Status::Pending, Status::Resolved] {
        if at != Status::Resolved && loket_protocol::lifecycle::can_transition(at, next, Role::Agent) {
            update(ws, client, id, json!({"status": next.as_str()})).await;
            at = next;
        }
    }
    assert_eq!(at, Status::Resolved, "ticket {id:?} not resolved");
}

async fn reply(ws: &mut WsClient, id: TicketId, internal: bool) {
    let answer = ws
        .call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Sudah kami periksa", "internal": internal}))
        .await;
    assert!(
        matches!(answer, loket_protocol::ws::ServerMessage::Ack { .. }),
        "{answer:?}"
    );
}

async fn stats(client: &AgentClient, query: &str) -> Stats {
    let reply = client.get(&format!("/api/stats?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    serde_json::from_value(reply.body).expect("a Stats body")
}

async fn csv(client: &AgentClient, query: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}/api/stats.csv?{query}", client.base))
        .bearer_auth(&client.token)
        .send()
        .await
        .expect("HTTP request");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        response.headers()
    );
    response.text().await.expect("a CSV body")
}

/// Every row of the five aggregates with a non-zero number, in a fixed order.
async fn aggregates(server: &TestServer) -> Vec<String> {
    let db = server.desk().pool.get().await.unwrap();
    let mut out = Vec::new();
    for query in [
        "SELECT format('daily %s %s %s %s %s', day, queue_id, category_id, created, resolved) FROM stats_daily
         WHERE created <> 0 OR resolved <> 0 ORDER BY day, queue_id, category_id",
        "SELECT format('hist %s %s %s %s %s', day, queue_id, metric, bucket, count) FROM stats_histograms
         WHERE count <> 0 ORDER BY day, queue_id, metric, bucket",
        "SELECT format('agents %s %s %s %s %s', day, agent_id, queue_id, replies, resolved) FROM stats_agents
         WHERE replies <> 0 OR resolved <> 0 ORDER BY day, agent_id, queue_id",
        "SELECT format('ratings %s %s %s %s', day, queue_id, rating, count) FROM stats_ratings
         WHERE count <> 0 ORDER BY day, queue_id, rating",
        "SELECT format('sla %s %s %s %s %s %s', day, queue_id, target, met, breached, pending) FROM stats_sla
         WHERE met <> 0 OR breached <> 0 OR pending <> 0 ORDER BY day, queue_id, target",
    ] {
        for row in db.query(query, &[]).await.unwrap() {
            out.push(row.get(0));
        }
    }
    out
}

/// Durations in seconds of `column - created_at` for tickets `ids`, read from the database.
async fn exact(server: &TestServer, column: &str, ids: &[TicketId]) -> Vec<f64> {
    let db = server.desk().pool.get().await.unwrap();
    let ids: Vec<i64> = ids.iter().map(|t| t.0).collect();
    let rows = db
        .query(
            &format!(
                "SELECT extract(epoch FROM {column} - created_at)::float8 FROM tickets WHERE id = ANY($1) ORDER BY 1"
            ),
            &[&ids],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// The nearest-rank percentile of sorted `values`.
fn nearest_rank(values: &[f64], p: f64) -> f64 {
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

fn assert_close(got: Option<f64>, exact: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: no value"));
    let error = (got - exact).abs() / exact;
    assert!(
        error <= max_relative_error() + 1e-9,
        "{what}: {got} vs exact {exact} ({error:.3})"
    );
}

#[actix_rt::test]
async fn statistics_count_what_happened_and_the_rebuild_agrees() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let budi = server.agent("Budi", Role::Agent).await;
    let roads = queue(&sari, "Jalan").await;
    let category = sari.post("/api/categories", json!({"name": "Lampu jalan"})).await;
    let category = category.body["id"].as_i64().expect("a category");
    let mut ws = sari.ws().await;

    let t1 = create_ticket(&mut ws, "Lampu mati").await;
    let t2 = create_ticket(&mut ws, "Got tersumbat").await;
    let t3 = create_ticket(&mut ws, "Pohon tumbang").await;
    let t4 = create_ticket(&mut ws, "Jalan berlubang").await;
    // Filed some time ago, so that the durations are minutes to a day (the buckets' error is relative).
    {
        let db = server.desk().pool.get().await.unwrap();
        for (id, minutes) in [(t1, 120), (t2, 10), (t3, 45), (t4, 26 * 60)] {
            db.execute(
                "UPDATE tickets SET created_at = now() - make_interval(mins => $2) WHERE id = $1",
                &[&id.0, &minutes],
            )
            .await
            .unwrap();
        }
    }
    update(&mut ws, &sari, t4, json!({"queue_id": roads.0})).await;
    update(&mut ws, &sari, t3, json!({"category_id": category})).await;
    // Public replies to t1 and t2 (first responses), an internal note on t3 (none), a second reply to t1.
    reply(&mut ws, t1, false).await;
    reply(&mut ws, t2, false).await;
    reply(&mut ws, t3, true).await;
    reply(&mut ws, t1, false).await;
    update(&mut ws, &sari, t1, json!({"assignee_id": sari.agent.id.0})).await;
    resolve(&mut ws, &sari, t1).await;
    update(&mut ws, &sari, t2, json!({"assignee_id": budi.agent.id.0})).await;
    update(&mut ws, &sari, t4, json!({"status": "closed"})).await;
    // Resolved and reopened: no resolution counts.
    resolve(&mut ws, &sari, t3).await;
    update(&mut ws, &sari, t3, json!({"status": "open"})).await;

    // A reporter's report, resolved and rated 4 through the desk the bot calls.
    let desk = server.desk();
    let dewi = desk_reporter(&server, &sari, 7101, "Dewi").await;
    let report = NewTicket {
        title: "Banjir".into(),
        body: "Di depan pasar".into(),
        priority: Default::default(),
        category_id: None,
    };
    let t5 = desk.file_report(dewi.id, report, None).await.unwrap().id;
    resolve(&mut ws, &sari, t5).await;
    desk.reporter_rate(dewi.id, t5, 4, Some("Cepat")).await.unwrap();
    // Rated again: the later rating replaces the first.
    desk.reporter_rate(dewi.id, t5, 5, None).await.unwrap();

    // Forty days back: every ticket above was filed within the range, in any time zone.
    let start = (chrono::Utc::now() - chrono::Duration::days(40)).date_naive();
    let range = &format!("from={start}");
    let all = stats(&sari, range).await;
    assert_eq!(all.tz, "Asia/Jakarta");
    assert_eq!(all.queues, vec![QueueId::ORIGINAL, roads]);
    let created: u64 = all.days.iter().map(|d| d.created).sum();
    let resolved: u64 = all.days.iter().map(|d| d.resolved).sum();
    assert_eq!(
        (created, resolved),
        (5, 3),
        "t1..t5 filed; t1, t4, t5 resolved (t3 reopened)"
    );
    assert_eq!(all.days.first().unwrap().day, start);
    assert_eq!(all.days.last().unwrap().day, all.to);
    // Backlog: t2 and t3 in General, by their statuses now.
    let mut backlog: Vec<(QueueId, Status, u64)> = all.backlog.iter().map(|b| (b.queue, b.status, b.count)).collect();
    backlog.sort_by_key(|(q, s, _)| (*q, s.as_str()));
    let detail = sari.get(&format!("/api/tickets/{}", t2.0)).await;
    let t2_status: Status = serde_json::from_value(detail.body["ticket"]["status"].clone()).unwrap();
    let mut expected = vec![(QueueId::ORIGINAL, Status::Open, 1), (QueueId::ORIGINAL, t2_status, 1)];
    if t2_status == Status::Open {
        expected = vec![(QueueId::ORIGINAL, Status::Open, 2)];
    }
    expected.sort_by_key(|(q, s, _)| (*q, s.as_str()));
    assert_eq!(backlog, expected);

    // Durations: t1 and t2 answered; t1, t4 and t5 resolved.
    assert_eq!(all.first_response.count, 2);
    let firsts = exact(&server, "first_response_at", &[t1, t2]).await;
    assert!(firsts[0] > 500.0, "{firsts:?}");
    assert_close(
        all.first_response.median_seconds,
        nearest_rank(&firsts, 0.5),
        "first response median",
    );
    assert_close(
        all.first_response.p90_seconds,
        nearest_rank(&firsts, 0.9),
        "first response p90",
    );
    assert_eq!(all.resolution.count, 3);
    let resolutions = exact(&server, "resolved_at", &[t1, t4, t5]).await;
    // t5 was resolved within seconds of filing: bucket 0 or a small one; the median is t1's two hours.
    assert_close(
        all.resolution.median_seconds,
        nearest_rank(&resolutions, 0.5),
        "resolution median",
    );
    assert_close(
        all.resolution.p90_seconds,
        nearest_rank(&resolutions, 0.9),
        "resolution p90",
    );
    assert_eq!(all.sla, None, "no SLA policies: not configured");

    // Agents: Sari wrote three public replies and resolved t1 (assigned to her); Budi holds t2.
    let agents: Vec<(&str, u64, u64, u64)> = all
        .agents
        .iter()
        .map(|a| (a.name.as_str(), a.replies, a.resolved, a.open_assigned))
        .collect();
    assert_eq!(agents, vec![("Budi", 0, 0, 1), ("Sari", 3, 1, 0)]);
    // Categories: t3 in "Lampu jalan", the rest in none.
    let categories: Vec<(&str, u64, u64)> = all
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.created, c.resolved))
        .collect();
    assert_eq!(categories, vec![("Lampu jalan", 1, 0), ("", 4, 3)]);
    assert_eq!(all.csat.ratings, vec![0, 0, 0, 0, 1]);
    assert_eq!(all.csat.average, Some(5.0));

    // One queue: Roads holds t4 only.
    let roads_only = stats(&sari, &format!("{range}&queue={}", roads.0)).await;
    assert_eq!(roads_only.queues, vec![roads]);
    assert_eq!(
        roads_only
            .days
            .iter()
            .map(|d| (d.created, d.resolved))
            .fold((0, 0), |a, d| (a.0 + d.0, a.1 + d.1)),
        (1, 1)
    );
    assert_eq!(roads_only.first_response.count, 0);
    assert_eq!(roads_only.first_response.median_seconds, None);
    assert!(roads_only.backlog.is_empty());
    // A range before anything happened counts nothing.
    let empty = stats(&sari, "from=2001-01-01&to=2001-01-31").await;
    assert_eq!(empty.days.len(), 31);
    assert!(empty.days.iter().all(|d| d.created == 0 && d.resolved == 0));
    assert_eq!(empty.csat.count, 0);

    // The CSV says the same numbers.
    let text = csv(&sari, range).await;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], loket_core::domain::stats::CSV_HEADER);
    let value = |chart: &str, name: &str, measure: &str| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[0] == chart && (name.is_empty() || c.contains(&name)) && c[9] == measure)
            .map(|c| c[10].to_string())
            .collect()
    };
    let summed: u64 = value("daily", "", "created")
        .iter()
        .map(|v| v.parse::<u64>().unwrap())
        .sum();
    assert_eq!(summed, created);
    assert_eq!(value("daily", "", "created").len(), all.days.len());
    assert_eq!(value("agents", "Sari", "replies"), vec!["3"]);
    assert_eq!(value("agents", "Budi", "open_assigned"), vec!["1"]);
    assert_eq!(value("categories", "Lampu jalan", "created"), vec!["1"]);
    assert_eq!(value("csat", "", "rating_5"), vec!["1"]);
    assert_eq!(value("sla_first_response", "", "met"), vec![""]);
    assert_eq!(value("sla_resolution", "", "met_percent"), vec![""]);
    assert_eq!(
        value("resolution", "", "median_seconds"),
        vec![format!("{:.3}", all.resolution.median_seconds.unwrap())]
    );

    // SLA clocks: promises everywhere (an hour to answer, a day to resolve) and in Roads (a second
    // each). t6 is answered in time, then moved to Roads, where its resolution clock is breached by the
    // real sweep; t7 waits, and its filing time moves back three days (its clocks move with it).
    let db = server.desk().pool.get().await.unwrap();
    for (queue, secs) in [(None, [3600, 86_400]), (Some(roads), [1, 1])] {
        let policy = SlaPolicy {
            id: 0,
            queue,
            priority: None,
            calendar_id: None,
            first_response_secs: Some(secs[0]),
            resolution_secs: Some(secs[1]),
            warn_share: 0.8,
        };
        loket_core::db::sla::save_policy(&db, &policy).await.unwrap();
    }
    let t6 = create_ticket(&mut ws, "Lampu taman padam").await;
    let t7 = create_ticket(&mut ws, "Trotoar retak").await;
    reply(&mut ws, t6, false).await;
    update(&mut ws, &sari, t6, json!({"queue_id": roads.0})).await;
    ws.recv_until("SlaBreached", |m| match m {
        ServerMessage::SlaBreached { ticket_id, target, .. } if *ticket_id == t6 => {
            (*target == SlaTarget::Resolution).then_some(())
        }
        _ => None,
    })
    .await;
    db.execute(
        "UPDATE tickets SET created_at = created_at - interval '3 days' WHERE id = $1",
        &[&t7.0],
    )
    .await
    .unwrap();
    let all = stats(&sari, range).await;
    let counts: Vec<(SlaTarget, u64, u64, u64)> = all
        .sla
        .as_ref()
        .expect("SLA policies: configured")
        .iter()
        .map(|s| (s.target, s.met, s.breached, s.pending))
        .collect();
    assert_eq!(
        counts,
        vec![(SlaTarget::FirstResponse, 1, 0, 1), (SlaTarget::Resolution, 0, 1, 1)],
        "t6 answered in time, its resolution breached in Roads; t7 waiting"
    );
    let roads_sla = stats(&sari, &format!("{range}&queue={}", roads.0)).await.sla.unwrap();
    assert_eq!(
        roads_sla
            .iter()
            .map(|s| (s.met, s.breached, s.pending))
            .collect::<Vec<_>>(),
        vec![(1, 0, 0), (0, 1, 0)],
        "t6's clocks moved to Roads with it"
    );

    // The rebuild computes from tickets, comments, ratings and clocks exactly what the triggers kept.
    let kept = aggregates(&server).await;
    assert!(kept.len() > 5, "{kept:?}");
    assert!(
        kept.iter().filter(|row| row.starts_with("sla ")).count() >= 3,
        "{kept:?}"
    );
    db.execute("SELECT loket_stats_rebuild()", &[]).await.unwrap();
    assert_eq!(aggregates(&server).await, kept);
    assert_eq!(stats(&sari, range).await, all);
    // In another time zone the days move, and the totals stay.
    db.execute("SELECT loket_stats_rebuild('UTC')", &[]).await.unwrap();
    let utc = stats(&sari, range).await;
    assert_eq!(utc.tz, "UTC");
    assert_eq!(utc.days.iter().map(|d| d.created).sum::<u64>(), created + 2);
    assert_eq!(utc.first_response, all.first_response);
    assert_eq!(utc.sla, all.sla);
}

#[actix_rt::test]
async fn an_agent_sees_the_statistics_of_their_queues_only() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let budi = server.agent("Budi", Role::Agent).await;
    let roads = queue(&sari, "Jalan").await;
    let mut ws = sari.ws().await;
    let general = create_ticket(&mut ws, "Lampu mati").await;
    let moved = create_ticket(&mut ws, "Jalan berlubang").await;
    update(&mut ws, &sari, moved, json!({"queue_id": roads.0})).await;
    reply(&mut ws, moved, false).await;
    reply(&mut ws, general, false).await;

    let mine = stats(&budi, "").await;
    assert_eq!(mine.queues, vec![QueueId::ORIGINAL], "Budi is in General only");
    assert_eq!(mine.days.len(), 30, "the last 30 days by default");
    assert_eq!(mine.days.iter().map(|d| d.created).sum::<u64>(), 1);
    assert_eq!(mine.first_response.count, 1);
    assert_eq!(mine.agents.iter().map(|a| a.replies).sum::<u64>(), 1);
    let all = stats(&sari, "").await;
    assert_eq!(all.days.iter().map(|d| d.created).sum::<u64>(), 2);
    assert_eq!(all.agents.iter().map(|a| a.replies).sum::<u64>(), 2);

    // Another queue's numbers are refused, on JSON and CSV alike.
    for path in ["/api/stats", "/api/stats.csv"] {
        let refused = budi.get(&format!("{path}?queue={}", roads.0)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
        assert_eq!(refused.body["code"], "not_in_queue");
    }
    // Bad ranges and strangers.
    let backwards = sari.get("/api/stats?from=2026-02-02&to=2026-02-01").await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST, "{backwards:?}");
    let too_long = sari.get("/api/stats?from=1900-01-01&to=2026-02-01").await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST, "{too_long:?}");
    let not_a_date = sari.get("/api/stats?from=yesterday").await;
    assert_eq!(not_a_date.status, StatusCode::BAD_REQUEST, "{not_a_date:?}");
    let stranger = reqwest::get(format!("{}/api/stats", server.url())).await.unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn sla_compliance_counts_clocks_met_breached_and_pending() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let roads = queue(&sari, "Jalan").await;
    {
        let db = server.desk().pool.get().await.unwrap();
        // Everywhere: an hour to answer, a day to resolve; in Roads: one second for each.
        for (queue, secs) in [(None, [3600, 86_400]), (Some(roads), [1, 1])] {
            let policy = SlaPolicy {
                id: 0,
                queue,
                priority: None,
                calendar_id: None,
                first_response_secs: Some(secs[0]),
                resolution_secs: Some(secs[1]),
                warn_share: 0.8,
            };
            loket_core::db::sla::save_policy(&db, &policy).await.unwrap();
        }
    }
    let mut ws = sari.ws().await;
    let answered = create_ticket(&mut ws, "Lampu mati").await;
    let _waiting = create_ticket(&mut ws, "Got tersumbat").await;
    let late = create_ticket(&mut ws, "Jalan berlubang").await;
    reply(&mut ws, answered, false).await;
    resolve(&mut ws, &sari, answered).await;
    update(&mut ws, &sari, late, json!({"queue_id": roads.0})).await;
    // The sweep records both of the moved ticket's clocks as breached (a second after the move).
    let mut breached = Vec::new();
    while breached.len() < 2 {
        let target = ws
            .recv_until("SlaBreached", |m| match m {
                ServerMessage::SlaBreached { ticket_id, target, .. } if *ticket_id == late => Some(*target),
                _ => None,
            })
            .await;
        breached.push(target);
    }
    // Answered after the breach: still breached.
    reply(&mut ws, late, false).await;

    let all = stats(&sari, "").await;
    let sla = all.sla.expect("SLA policies: configured");
    let counts: Vec<(SlaTarget, u64, u64, u64)> =
        sla.iter().map(|s| (s.target, s.met, s.breached, s.pending)).collect();
    assert_eq!(
        counts,
        vec![(SlaTarget::FirstResponse, 1, 1, 1), (SlaTarget::Resolution, 1, 1, 1)],
        "answered: met; waiting: pending; late: breached"
    );
    assert_eq!(sla[0].met_percent, Some(50.0));
    let roads_only = stats(&sari, &format!("queue={}", roads.0)).await.sla.unwrap();
    assert!(
        roads_only.iter().all(|s| (s.met, s.breached, s.pending) == (0, 1, 0)),
        "{roads_only:?}"
    );
    // Tickets filed before the range: nothing counted, still configured.
    let before = stats(&sari, "from=2001-01-01&to=2001-01-31").await.sla.unwrap();
    assert!(
        before
            .iter()
            .all(|s| s.met + s.breached + s.pending == 0 && s.met_percent.is_none())
    );

    let text = csv(&sari, "").await;
    let row = |chart: &str, measure: &str| {
        text.split("\r\n")
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|c| c[0] == chart && c.get(9) == Some(&measure))
            .map(|c| c[10].to_string())
    };
    assert_eq!(row("sla_first_response", "breached").as_deref(), Some("1"));
    assert_eq!(row("sla_resolution", "met_percent").as_deref(), Some("50.000"));
}
