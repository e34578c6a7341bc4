//! Views and search at scale: bulk-inserts tickets (with reporters, categories, assignees and comments)
//! straight into the server's PostgreSQL, then measures `GetTickets` over one WebSocket session: the
//! default view's first page, filtered views, next pages by cursor, and full-text searches.
//!
//! The data is made by PostgreSQL (`INSERT … SELECT` over `generate_series`, a fixed seed) in batches; a
//! data directory that already holds enough tickets is reused as it is, so `--prepare-only` once and
//! measure many times (docs/benchmarks.md, "Views and search at 1,000,000 tickets").

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::measure;
use crate::procstat::{Meters, Watch};
use crate::report::{Errors, Report};
use crate::scenario::pgcommit::connect;
use crate::session::{Endpoint, Fence, Reply, Session};

/// Tickets inserted per statement.
const BATCH: i64 = 100_000;
/// Reporters the tickets are spread over.
const REPORTERS: i64 = 20_000;
/// Telegram user ids of bench reporters start here (no real account has such an id).
const REPORTER_ID_BASE: i64 = 1 << 53;
/// Requests before the measured ones, per query (caches, plans).
const WARMUP: usize = 3;

/// Parameters of a views run.
#[derive(Debug, Clone, Serialize)]
pub struct ViewsParams {
    pub tickets: i64,
    /// Measured requests per query.
    pub rounds: usize,
    /// Only make sure the data is there, measure nothing.
    pub prepare_only: bool,
}

/// Makes sure the database holds at least `tickets` tickets of bench data.
pub async fn prepare(database_url: &str, tickets: i64) -> Result<i64, String> {
    let db = connect(database_url).await?;
    let have: i64 = db
        .query_one("SELECT count(*) FROM tickets", &[])
        .await
        .map_err(|e| format!("count tickets: {e}"))?
        .get(0);
    if have >= tickets {
        return Ok(have);
    }
    let started = Instant::now();
    db.batch_execute(&format!(
        "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SELECT setseed(0.42);
         INSERT INTO categories (name)
         SELECT unnest(ARRAY['Jalan dan trotoar','Penerangan jalan','Kebersihan','Drainase','Taman','Air bersih','Roads','Noise'])
         ON CONFLICT DO NOTHING;
         INSERT INTO reporters (telegram_user_id, chat_id, name, language)
         SELECT {REPORTER_ID_BASE} + g, {REPORTER_ID_BASE} + g,
                (ARRAY['Siti','Budi','Dewi','Agus','Rina','Joko','Sri','Andi','Putri','Hendra','Wayan','Made','Ketut','Nyoman','Ayu','John','Mary','Ahmad','Nur','Rizky'])[(1 + g % 20)::int]
                || ' ' ||
                (ARRAY['Rahayu','Santoso','Wijaya','Saputra','Lestari','Hidayat','Kusuma','Pratama','Setiawan','Gunawan','Nugroho','Susanto','Halim','Smith','Putra','Sari','Purnomo','Wibowo','Utami','Suryadi','Tan','Lim','José','Müller'])[(1 + (g / 20) % 24)::int]
                || CASE WHEN g >= 480 THEN ' ' || g ELSE '' END,
                CASE WHEN g % 3 = 0 THEN 'en' ELSE 'id' END
         FROM generate_series((SELECT count(*) FROM reporters WHERE telegram_user_id > {REPORTER_ID_BASE}), {REPORTERS} - 1) g
         ON CONFLICT DO NOTHING;"
    ))
    .await
    .map_err(|e| format!("categories and reporters: {e:?}"))?;
    // Comments are indexed for search by a trigger per row, and the statistics aggregates (V25, V28) are kept
    // by triggers per row; for the bulk load both are folded in once at the end.
    db.batch_execute(
        "ALTER TABLE comments DISABLE TRIGGER comments_search;
         ALTER TABLE comments DISABLE TRIGGER comments_stats_insert;
         ALTER TABLE tickets DISABLE TRIGGER tickets_stats_insert;
         ALTER TABLE tickets DISABLE TRIGGER tickets_stats_update;
         ALTER TABLE tickets DISABLE TRIGGER tickets_stats_sla_move;",
    )
    .await
    .map_err(|e| format!("disable the per-row triggers: {e}"))?;
    let mut from = have;
    while from < tickets {
        let to = (from + BATCH).min(tickets);
        let insert = format!(
            "WITH ctx AS (
                 SELECT (SELECT array_agg(id ORDER BY id) FROM agents) AS agents,
                        (SELECT array_agg(id ORDER BY id) FROM categories) AS categories,
                        (SELECT array_agg(id ORDER BY id) FROM reporters WHERE telegram_user_id > {REPORTER_ID_BASE}) AS reporters),
             g AS (SELECT n, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
                   FROM generate_series({from}::bigint, {to}::bigint - 1) n)
             INSERT INTO tickets (title, body, status, priority, category_id, reporter_id, assignee_id, created_at, updated_at)
             SELECT
                 (ARRAY['Lampu jalan mati','Jalan rusak berlubang','Sampah menumpuk','Saluran air tersumbat','Pohon tumbang',
                        'Banjir setelah hujan','Trotoar retak','Air PDAM tidak mengalir','Streetlight out','Pothole on the road',
                        'Water leak','Broken bench in the park','Noise complaint','Graffiti on the wall','Lampu taman padam',
                        'Got mampet dan berbau'])[1 + floor(r1 * 16)::int]
                 || ' di ' ||
                 (ARRAY['Jl. Merdeka','Jl. Sudirman','Jl. Diponegoro','Gang Kenanga','Jl. Melati','Jl. Ahmad Yani',
                        'Jl. Gajah Mada','Perumahan Griya Asri','Pasar Baru','Jl. Pahlawan','Kampung Sukamaju','Jl. Cempaka'])[1 + floor(r2 * 12)::int]
                 || ' no. ' || (1 + n % 250),
                 'Kelurahan ' || (ARRAY['Sukamaju','Sukajadi','Cibeunying','Kebon Jeruk','Tegalsari','Sidomulyo','Karanganyar','Sumbersari'])[(1 + n % 8)::int]
                 || ', RT ' || (1 + n % 12) || '/RW ' || (1 + n % 7) || '. ' ||
                 (ARRAY['Sudah tiga hari tidak ada perbaikan, mohon segera ditindaklanjuti.',
                        'Warga khawatir karena membahayakan pengendara motor pada malam hari.',
                        'It has been like this for a week; children walk past it to school.',
                        'Mohon petugas datang untuk memeriksa, terima kasih.',
                        'The problem started after the heavy rain on Monday.',
                        'Sangat mengganggu aktivitas warga sekitar dan pedagang pasar.'])[1 + floor(r3 * 6)::int]
                 || CASE WHEN r4 < 0.1 THEN ' Kabel listrik terlihat menjuntai.' WHEN r4 < 0.2 THEN ' Ada bau tidak sedap.' ELSE '' END,
                 CASE WHEN n < {tickets} * 0.87 THEN (CASE WHEN r5 < 0.35 THEN 'resolved' ELSE 'closed' END)
                      ELSE (ARRAY['new','open','pending'])[1 + floor(r5 * 3)::int] END,
                 (ARRAY['low','normal','normal','normal','high','urgent'])[1 + floor(r4 * 6)::int],
                 categories[(1 + n % array_length(categories, 1))::int],
                 CASE WHEN r2 < 0.9 THEN reporters[(1 + (n * 7919) % array_length(reporters, 1))::int] END,
                 CASE WHEN r3 < 0.8 THEN agents[(1 + (n * 31) % array_length(agents, 1))::int] END,
                 now() - interval '3 years' + (interval '3 years' * n / {tickets}),
                 least(now(), now() - interval '3 years' + (interval '3 years' * n / {tickets}) + interval '10 days' * r1)
             FROM g, ctx ORDER BY n"
        );
        db.batch_execute(&format!("SET synchronous_commit = off; {insert}"))
            .await
            .map_err(|e| format!("insert tickets {from}..{to}: {e:?}"))?;
        eprintln!("views: {to} tickets on file ({:.0} s)", started.elapsed().as_secs_f64());
        from = to;
    }
    // Some comments (one for every fifth ticket, a third of them internal notes, written 5 minutes to
    // 2 days after the ticket), folded into search and into the tickets' first response.
    db.batch_execute(&format!(
        "SET synchronous_commit = off;
         INSERT INTO comments (ticket_id, author_agent_id, body, internal, created_at)
         SELECT t.id, t.assignee_id,
                (ARRAY['Petugas sudah dijadwalkan besok pagi.','Crew dispatched, waiting for parts.',
                       'Koordinasi dengan dinas pekerjaan umum.','Trafo perlu diganti, menunggu PLN.',
                       'Checked on site: the culvert is blocked.','Warga sudah dihubungi lewat telepon.'])[(1 + t.id % 6)::int],
                t.id % 3 = 0,
                least(now(), t.created_at + make_interval(mins => (5 + (t.id * 7) % 2880)::int))
         FROM tickets t WHERE t.id % 5 = 0 AND t.id > {have} AND t.assignee_id IS NOT NULL;
         UPDATE tickets t SET first_response_at = c.first
           FROM (SELECT ticket_id, min(created_at) AS first FROM comments
                 WHERE ticket_id > {have} AND author_agent_id IS NOT NULL AND NOT internal GROUP BY ticket_id) c
          WHERE c.ticket_id = t.id AND t.first_response_at IS NULL;
         UPDATE ticket_search s SET doc = s.doc || c.doc
           FROM (SELECT ticket_id, setweight(to_tsvector('simple', loket_fold(string_agg(body, ' ' ORDER BY id))), 'C') AS doc
                   FROM comments WHERE ticket_id > {have} GROUP BY ticket_id) c
          WHERE c.ticket_id = s.ticket_id;"
    ))
    .await
    .map_err(|e| format!("comments: {e:?}"))?;
    // One statement each: VACUUM cannot run inside the implicit transaction of a multi-statement batch.
    for statement in [
        "ALTER TABLE comments ENABLE TRIGGER comments_search",
        "ALTER TABLE comments ENABLE TRIGGER comments_stats_insert",
        "ALTER TABLE tickets ENABLE TRIGGER tickets_stats_insert",
        "ALTER TABLE tickets ENABLE TRIGGER tickets_stats_update",
        "ALTER TABLE tickets ENABLE TRIGGER tickets_stats_sla_move",
        "SELECT loket_stats_rebuild()",
        "VACUUM ANALYZE tickets",
        "VACUUM ANALYZE comments",
        "VACUUM ANALYZE reporters",
        "VACUUM ANALYZE ticket_search",
    ] {
        db.batch_execute(statement)
            .await
            .map_err(|e| format!("{statement}: {e:?}"))?;
    }
    eprintln!("views: data ready ({:.0} s)", started.elapsed().as_secs_f64());
    Ok(tickets)
}

/// One measured query.
struct Query {
    label: &'static str,
    message: Value,
}

/// The queries measured: `cursors` are next pages of the default view, taken before.
fn queries(key: i64, cursors: &[String]) -> Vec<Query> {
    let get = |extra: Value| {
        let mut m = json!({"type": "GetTickets"});
        if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        m
    };
    let mut out = vec![
        Query {
            label: "view: default (open work, newest)",
            message: get(json!({})),
        },
        Query {
            label: "view: assignee me, open work",
            message: get(json!({"assignee": "me"})),
        },
        Query {
            label: "view: nobody's, open work",
            message: get(json!({"assignee": "nobody"})),
        },
        Query {
            label: "view: priority sort, open work",
            message: get(json!({"sort": "priority"})),
        },
        Query {
            label: "view: recently updated, open work",
            message: get(json!({"sort": "updated"})),
        },
        Query {
            label: "view: done, category, high+urgent",
            message: get(json!({"status": "done", "category_id": 2, "priority": ["high", "urgent"]})),
        },
        Query {
            label: "view: any status, oldest",
            message: get(json!({"status": "any", "sort": "oldest"})),
        },
    ];
    for cursor in cursors {
        out.push(Query {
            label: "view: next page by cursor",
            message: get(json!({"cursor": cursor})),
        });
    }
    for (label, text, status) in [
        ("search: lampu jalan mati", "lampu jalan mati", "open_work"),
        ("search: jalan rusak (any status)", "jalan rusak", "any"),
        ("search: Kelurahan Sukamaju", "Kelurahan Sukamaju", "open_work"),
        ("search: comment word trafo", "trafo", "open_work"),
        ("search: kabel menjuntai (any)", "kabel menjuntai", "any"),
        ("search: reporter name", "Siti Rahayu", "open_work"),
        ("search: José (accent folded)", "jose", "any"),
    ] {
        out.push(Query {
            label,
            message: get(json!({"text": text, "status": status})),
        });
    }
    out.push(Query {
        label: "search: ticket key",
        message: get(json!({"text": format!("tkt-{key}"), "status": "any"})),
    });
    out
}

/// The default view's next-page cursors (pages 2..=pages+1), read over REST.
async fn cursors(base: &str, token: &str, pages: usize) -> Result<Vec<String>, String> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..pages {
        let mut request = http.get(format!("{base}/api/tickets")).bearer_auth(token);
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let body: Value = request
            .send()
            .await
            .map_err(|e| format!("GET /api/tickets: {e}"))?
            .json()
            .await
            .map_err(|e| format!("GET /api/tickets: {e}"))?;
        match body["next_cursor"].as_str() {
            Some(next) => {
                out.push(next.to_owned());
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    Ok(out)
}

pub async fn run(
    base: &str,
    endpoint: &Endpoint,
    server: Option<Watch>,
    postgres: Option<Watch>,
    params: &ViewsParams,
) -> Result<Report, String> {
    let token = endpoint
        .token
        .clone()
        .ok_or("the views scenario needs a signed-in agent")?;
    let pages = cursors(base, &token, 10).await?;
    let session = Session::connect(0, endpoint, Fence::new()).await?;
    let queries = queries(params.tickets / 2, &pages);
    let mut errors = Errors::default();
    // Every query once more than it is measured, then the measured rounds interleaved.
    for query in &queries {
        for _ in 0..WARMUP {
            let _ = session.call(query.message.clone()).await;
        }
    }
    let mut labels: Vec<&'static str> = Vec::new();
    for q in &queries {
        if !labels.contains(&q.label) {
            labels.push(q.label);
        }
    }
    let mut histograms: Vec<_> = labels.iter().map(|_| measure::new_histogram()).collect();
    // Pooled: every view query, every search (the two targets).
    let mut pooled = [measure::new_histogram(), measure::new_histogram()];
    let mut counts = vec![0u64; labels.len()];
    let meters = Meters::start(server, postgres);
    let started = Instant::now();
    let mut ops = 0;
    for _ in 0..params.rounds {
        for query in &queries {
            let slot = labels.iter().position(|l| *l == query.label).unwrap_or(0);
            let sent = Instant::now();
            match session.call(query.message.clone()).await {
                Ok(Reply::Ack { .. }) => {
                    let took = sent.elapsed();
                    measure::record(&mut histograms[slot], took);
                    measure::record(&mut pooled[usize::from(query.label.starts_with("search"))], took);
                    counts[slot] += 1;
                    ops += 1;
                }
                Ok(other) => errors.push(format!("{}: {other:?}", query.label)),
                Err(err) => errors.push(format!("{}: {err:?}", query.label)),
            }
        }
    }
    let duration = started.elapsed();
    let usage = meters.finish();
    session.close().await;
    // p95 as well (the shared summary has p50/p90/p99): in `extra`, and printed.
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let mut table = Vec::new();
    let rows = labels
        .iter()
        .copied()
        .zip(histograms.iter())
        .chain([("all views", &pooled[0]), ("all searches", &pooled[1])]);
    for (label, h) in rows {
        eprintln!(
            "views: {label:<40} n={:>5} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            h.len(),
            ms(h, 0.5),
            ms(h, 0.95),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
        table.push(
            json!({"query": label, "n": h.len(), "p50_ms": ms(h, 0.5), "p95_ms": ms(h, 0.95),
                          "p99_ms": ms(h, 0.99), "max_ms": h.max() as f64 / 1000.0}),
        );
    }
    let latency = labels
        .iter()
        .zip(&histograms)
        .zip(&counts)
        .map(|((label, h), n)| measure::summary(label, h, *n, *n, 0))
        .collect();
    Ok(Report {
        scenario: "views".into(),
        target: "loket".into(),
        params: serde_json::to_value(params).unwrap_or_default(),
        duration_s: duration.as_secs_f64(),
        ops,
        ops_per_s: ops as f64 / duration.max(Duration::from_millis(1)).as_secs_f64(),
        commits_per_op: 0,
        commits_per_s: 0.0,
        refused: 0,
        errors,
        latency,
        deliveries: 0,
        msgs_per_s: 0.0,
        avg_frame_bytes: 0.0,
        connect: None,
        usage,
        extra: json!({"tickets": params.tickets, "next_page_cursors": pages.len(), "queries": table}),
    })
}
