//! The bot's handling of awkward input: multi-line titles, `/report` mid-report, stale summaries, long
//! descriptions, and follow-up files over the size limit or the reporter's quota.

use loket_core::reporting::MAX_FILES_PER_TICKET;
use loket_tests::TgUser;

use crate::bot::{invite, key_in, register, report, rig};

/// Walks a report up to its summary: `title`, `description`, no category, no files.
async fn up_to_summary(
    tg: &loket_tests::FakeTelegram,
    user: &TgUser,
    title: &str,
    description: &str,
) -> loket_tests::telegram::Sent {
    tg.send_text(user, title);
    tg.expect(user.id, "describe").await;
    tg.send_text(user, description);
    tg.expect(user.id, "photos or documents").await;
    tg.send_text(user, "/skip");
    tg.expect(user.id, "Please check your report").await
}

#[actix_rt::test]
async fn a_multi_line_title_is_filed_as_one_line() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1101, "Ana", "en"));
    register(&rig, &ana).await;
    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    let summary = up_to_summary(tg, &ana, "Street light out\non Jl. Merdeka", "Dark since Monday").await;
    tg.press(&ana, &summary, &summary.button("Send"));
    let id = key_in(&tg.expect(ana.id, "filed as").await.text);
    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    assert_eq!(detail["ticket"]["title"], "Street light out on Jl. Merdeka");
}

#[actix_rt::test]
async fn report_in_the_middle_of_a_report_asks_before_discarding_the_draft() {
    let rig = rig().await;
    let (tg, budi) = (&rig.tg, TgUser::new(1102, "Budi", "id"));
    let code = invite(&rig.admin, 1).await;
    tg.send_text(&budi, &format!("/start {code}"));
    tg.expect(budi.id, "Selamat datang").await;
    tg.send_text(&budi, "/report");
    tg.next_message(budi.id).await;
    tg.send_text(&budi, "Jalan berlubang");
    tg.next_message(budi.id).await;
    tg.send_text(&budi, "/report");
    let question = tg.expect(budi.id, "Jalan berlubang").await;
    assert!(question.text.contains("masih menyusun laporan"), "{}", question.text);
    // Keep: the description is still what is asked for, and the draft's title survives.
    tg.press(&budi, &question, &question.button("Lanjutkan draf"));
    tg.next_message(budi.id).await;
    tg.send_text(&budi, "Di depan pasar");
    tg.next_message(budi.id).await;
    tg.send_text(&budi, "/skip");
    let summary = tg.expect(budi.id, "Jalan berlubang").await;
    assert!(summary.text.contains("Di depan pasar"), "{}", summary.text);
    // Start over: the old draft is gone and a new title is asked for.
    tg.send_text(&budi, "/report");
    let question = tg.expect(budi.id, "masih menyusun laporan").await;
    tg.press(&budi, &question, &question.button("Mulai baru"));
    let asked = tg.next_message(budi.id).await;
    tg.send_text(&budi, "Lampu mati");
    tg.next_message(budi.id).await;
    assert!(!asked.text.contains("Jalan berlubang"), "{}", asked.text);
    let client = rig.server.pool.get().await.unwrap();
    let state: serde_json::Value = client
        .query_one(
            "SELECT state FROM bot_dialogues WHERE telegram_user_id = $1",
            &[&budi.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(state["draft"]["title"], "Lampu mati", "{state}");
}

#[actix_rt::test]
async fn an_old_summarys_send_button_files_nothing() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1103, "Ana", "en"));
    register(&rig, &ana).await;
    tg.send_text(&ana, "/report");
    tg.next_message(ana.id).await;
    let old = up_to_summary(tg, &ana, "First draft", "Old words").await;
    tg.send_text(&ana, "/report");
    let question = tg.expect(ana.id, "still writing").await;
    tg.press(&ana, &question, &question.button("Start over"));
    tg.expect(ana.id, "What is the problem").await;
    let current = up_to_summary(tg, &ana, "Second draft", "New words").await;

    tg.press(&ana, &old, &old.button("Send"));
    tg.expect(ana.id, "out of date").await;
    let shown_again = tg.expect(ana.id, "Second draft").await;
    assert_ne!(shown_again.message_id, current.message_id);
    let tickets = rig.admin.get("/api/tickets").await.body;
    assert_eq!(tickets["total"], 0, "nothing was filed: {tickets}");

    // The summary shown last is the one whose Send files the report.
    tg.press(&ana, &shown_again, &shown_again.button("Send"));
    let id = key_in(&tg.expect(ana.id, "filed as").await.text);
    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    assert_eq!(detail["ticket"]["title"], "Second draft");
}

#[actix_rt::test]
async fn a_long_description_still_gets_a_summary_with_its_send_button() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1104, "Ana", "en"));
    register(&rig, &ana).await;
    let description = "The drain overflows again. ".repeat(400);
    tg.send_text(&ana, "/report");
    tg.next_message(ana.id).await;
    let summary = up_to_summary(tg, &ana, "Drain overflowing", &description).await;
    assert!(summary.text.chars().count() <= 4096, "{}", summary.text.chars().count());
    tg.press(&ana, &summary, &summary.button("Send"));
    let id = key_in(&tg.expect(ana.id, "filed as").await.text);
    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    assert_eq!(
        detail["ticket"]["body"],
        description.trim_end(),
        "the whole description is filed"
    );
}

#[actix_rt::test]
async fn follow_up_files_over_the_size_limit_or_the_quota_are_refused() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1105, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, filed) = report(tg, &ana, "Fallen tree").await;

    // Too big, alone: told why, nothing recorded.
    tg.send_photo_claiming(&ana, "huge-1", 25 * 1024 * 1024, Some(&filed));
    tg.expect(ana.id, "too big").await;
    // A reasonable photo is taken.
    tg.send_photo(&ana, "small-1", b"JPEG: a tree on the road", None, Some(&filed));
    tg.expect(ana.id, "Added to").await;
    let attachments = || async {
        let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
        (
            detail["attachments"].as_array().unwrap().len(),
            detail["comments"].as_array().unwrap().len(),
        )
    };
    assert_eq!(attachments().await, (1, 1));

    // The ticket holds as many of the reporter's files as it may: the next one is refused.
    let client = rig.server.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO attachments (ticket_id, file_name, content_type, size_bytes, storage_path, telegram_file_id)
             SELECT $1, 'f.jpg', 'image/jpeg', 1, 'none', 'prior-' || n FROM generate_series(2, $2::bigint) n",
            &[&id.0, &MAX_FILES_PER_TICKET],
        )
        .await
        .unwrap();
    tg.send_photo(&ana, "small-2", b"JPEG: another angle", None, Some(&filed));
    tg.expect(ana.id, "as many files").await;
    let (files, comments) = attachments().await;
    assert_eq!(files as i64, MAX_FILES_PER_TICKET, "no file was added over the quota");
    assert_eq!(comments, 1, "a refused file alone adds no comment");
}
