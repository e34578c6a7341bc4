//! Issue 11's web client parts in real headless Chromium against a real `loket`: merging a duplicate from
//! the ticket page, files in the reply composer reaching the reporter through the fake Bot API, and editing
//! a canned reply on the account page. Every check waits for what the agent (or Telegram) would see.

use std::path::{Path, PathBuf};

use fantoccini::Locator;
use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use loket_tests::{AgentClient, FakeTelegram, PATIENCE, TestServer, TgUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot::{Rig, register, report};

async fn detail(agent: &AgentClient, id: TicketId) -> Value {
    agent.get(&format!("/api/tickets/{}", id.0)).await.body
}

/// Writes `bytes` as `name` in `dir` (created if need be), and returns its path.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a file to upload");
    path
}

/// How many elements match `css` right now.
async fn count(b: &Browser, css: &str) -> usize {
    b.client()
        .find_all(Locator::Css(css))
        .await
        .map(|found| found.len())
        .unwrap_or(0)
}

#[actix_rt::test]
async fn an_agent_merges_a_duplicate_from_its_page_after_a_refusal_that_changed_nothing() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let ayu = server.agent("Ayu", Role::Admin).await;
    let sari = server.agent("Sari", Role::Agent).await;
    let mut ids = Vec::new();
    for title in ["Street lamp out on Jl. Merdeka", "Lampu jalan mati"] {
        let filed = ayu.post("/api/tickets", json!({"title": title})).await;
        assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
        ids.push(TicketId(filed.body["id"].as_i64().unwrap()));
    }
    let (survivor, dup) = (ids[0], ids[1]);
    let noted = ayu
        .post(
            &format!("/api/tickets/{}/comments", dup.0),
            json!({"body": "Sudah tiga malam gelap"}),
        )
        .await;
    assert_eq!(noted.status, StatusCode::CREATED, "{noted:?}");
    // Sari is editing the survivor.
    let mut sari_ws = sari.ws().await;
    sari_ws
        .call(json!({"type": "LockTicket", "ticket_id": survivor.0}))
        .await;

    let b = Browser::launch(&server.url(), "ayu-merge-ui").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.goto(&format!("/tickets/{}", dup.0)).await;
    b.wait_text("[data-testid=comment]", "Sudah tiga malam gelap").await;
    b.click("[data-testid=merge-open]").await;
    b.wait_for("[data-testid=merge-dialog]").await;
    // Its own key is refused at once; the survivor typed the short way is found and shown by its title.
    b.fill("#merge-into", &dup.key()).await;
    b.click("[data-testid=merge-find]").await;
    b.wait_text("[data-testid=merge-error]", "That is this ticket").await;
    b.fill("#merge-into", &format!("tkt-{}", survivor.0)).await;
    b.click("[data-testid=merge-find]").await;
    b.wait_text("[data-testid=merge-survivor]", "Street lamp out on Jl. Merdeka")
        .await;
    b.wait_text("[data-testid=merge-confirm]", &format!("Merge into {}", survivor.key()))
        .await;

    // Sari holds the survivor's lock: refused, said so, and nothing changed (the duplicate's lock given back).
    b.click("[data-testid=merge-confirm]").await;
    b.wait_text(
        "[data-testid=merge-error]",
        &format!("Sari is editing {}", survivor.key()),
    )
    .await;
    b.screenshot("merge-refused").await;
    b.wait_until("the duplicate's lock given back", || async {
        detail(&ayu, dup).await["ticket"]["lock"].is_null()
    })
    .await;
    let seen = detail(&ayu, dup).await;
    assert_eq!(seen["ticket"]["status"], "new");
    assert!(seen["ticket"]["merged_into"].is_null());
    assert_eq!(seen["comments"].as_array().unwrap().len(), 1);

    // Sari is done: confirming again merges.
    sari_ws
        .call(json!({"type": "UnlockTicket", "ticket_id": survivor.0}))
        .await;
    b.click("[data-testid=merge-confirm]").await;
    b.wait_text("[data-testid=ticket-merged-into]", "Merged into").await;
    b.wait_text("[data-testid=ticket-merged-into] a", &survivor.key()).await;
    assert_eq!(
        count(&b, "[data-testid=merge-dialog]").await,
        0,
        "the dialog closes once merged"
    );
    b.wait_text("[data-testid=flash]", &format!("Merged into {}", survivor.key()))
        .await;
    b.screenshot("merged-from-the-page").await;

    // In the database: the duplicate closed pointing at the survivor, the comment moved, both locks free.
    let on_dup = detail(&ayu, dup).await;
    assert_eq!(on_dup["ticket"]["status"], "closed");
    assert_eq!(on_dup["ticket"]["merged_into"], survivor.0);
    assert!(on_dup["comments"].as_array().unwrap().is_empty());
    let on_survivor = detail(&ayu, survivor).await;
    assert!(
        on_survivor["comments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["body"] == "Sudah tiga malam gelap"),
        "{on_survivor:?}"
    );
    for id in [dup, survivor] {
        b.wait_until(&format!("{id}'s lock given back"), || async {
            detail(&ayu, id).await["ticket"]["lock"].is_null()
        })
        .await;
    }
    // Its page no longer shows the moved conversation, and points to where it is.
    b.wait_text("[data-testid=merged-conversation]", &survivor.key()).await;
    assert_eq!(count(&b, "[data-testid=comment]").await, 0);
    assert_eq!(count(&b, "[data-testid=composer]").await, 0);
    // The action is gone from the merged ticket.
    assert_eq!(count(&b, "[data-testid=merge-open]").await, 0);
    b.close().await;
}

#[actix_rt::test]
async fn files_attached_in_the_composer_reach_the_reporter_with_the_public_reply() {
    if !browser::available() {
        return;
    }
    let web = browser::web_dir();
    let tg = FakeTelegram::start().await;
    let server = TestServer::start_with(|config| {
        tg.configure(config);
        config.web_dir = Some(web);
    })
    .await;
    let admin = server.agent("Ayu", Role::Admin).await;
    let rig = Rig { tg, server, admin };
    let ana = TgUser::new(3301, "Ana", "en");
    register(&rig, &ana).await;
    let (id, _) = report(&rig.tg, &ana, "Broken bench in the park").await;

    let photo: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
    let pdf: Vec<u8> = b"%PDF-1.4 work order 17".to_vec();
    // Removed with the test process's other scratch directories.
    let test = &loket_tests::pg::scratch_dir("composer-files");
    let photo_path = file(test, "bench.jpg", &photo);
    let pdf_path = file(test, "order.pdf", &pdf);
    let extra_path = file(test, "draft-notes.txt", b"not for the reporter");
    let huge_path = file(test, "video.mp4", &vec![7u8; 20 * 1024 * 1024 + 1]);

    let b = Browser::launch(&rig.server.url(), "ayu-files").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.goto(&format!("/tickets/{}", id.0)).await;
    let input = b.wait_for("[data-testid=composer-files]").await;
    // Two files chosen at once, then one more, then one too big.
    let both = format!("{}\n{}", photo_path.display(), pdf_path.display());
    input.send_keys(&both).await.expect("choose two files");
    let input = b.wait_for("[data-testid=composer-files]").await;
    input
        .send_keys(&extra_path.display().to_string())
        .await
        .expect("choose a file");
    let input = b.wait_for("[data-testid=composer-files]").await;
    input
        .send_keys(&huge_path.display().to_string())
        .await
        .expect("choose a big file");
    b.wait_until("three files uploaded", || async {
        count(&b, "[data-testid=upload-chip][data-state=done]").await == 3
    })
    .await;
    b.wait_text("[data-testid=upload-chip][data-state=failed]", "larger than 20 MB")
        .await;
    b.fill("#composer-body", "Repaired, see the photo and the work order")
        .await;
    assert_eq!(
        b.button_enabled("Send reply").await,
        Some(false),
        "a failed file blocks sending until it is removed"
    );
    b.screenshot("composer-files").await;
    // Remove the failed one and the notes file: the reply goes with the other two.
    b.click("[data-testid=upload-chip][data-state=failed] [data-testid=upload-remove]")
        .await;
    b.click("[data-testid=upload-remove][aria-label='Remove draft-notes.txt']")
        .await;
    b.wait_until("two files left", || async {
        count(&b, "[data-testid=upload-chip]").await == 2
    })
    .await;
    b.click_button("Send reply").await;
    b.wait_text("[data-testid=comment]", "Repaired, see the photo").await;
    b.wait_until("the chips cleared", || async {
        count(&b, "[data-testid=upload-chip]").await == 0
    })
    .await;

    // The comment carries exactly the two, and Telegram received them with their bytes.
    let seen = detail(&rig.admin, id).await;
    let reply = seen["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["body"] == "Repaired, see the photo and the work order")
        .cloned()
        .unwrap_or_else(|| panic!("the reply: {seen:?}"));
    assert_eq!(reply["attachments"].as_array().unwrap().len(), 2, "{reply:?}");
    assert!(
        rig.tg
            .wait_until(PATIENCE, |s| s.files_sent_to(ana.id).len() >= 2)
            .await,
        "the files never reached Telegram: {:?}",
        seen["notifications"]
    );
    // Both were uploaded at once, so either may be first.
    let mut files = rig.tg.files_sent_to(ana.id);
    files.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        (files[0].kind.as_str(), files[0].file_name.as_str()),
        ("photo", "bench.jpg")
    );
    assert_eq!(files[0].bytes, photo, "the photo's bytes as chosen in the browser");
    assert_eq!(
        (files[1].kind.as_str(), files[1].file_name.as_str()),
        ("document", "order.pdf")
    );
    assert_eq!(files[1].bytes, pdf);
    // The removed upload stays on the ticket as a file agents see, never sent.
    assert!(
        seen["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["file_name"] == "draft-notes.txt" && a["comment_id"].is_null()),
        "{:?}",
        seen["attachments"]
    );
    b.close().await;
}

#[actix_rt::test]
async fn an_agent_edits_a_canned_reply_on_the_account_page() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let sari = server.agent("Sari", Role::Agent).await;
    for (title, shortcut) in [("Thanks", "thanks"), ("On our way", "otw")] {
        let made = sari
            .post(
                "/api/canned-replies",
                json!({"scope": "personal", "title": title, "shortcut": shortcut,
                       "text_en": format!("{title}, {{{{reporter.name}}}}."), "text_id": "Terima kasih."}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
    }
    let b = Browser::launch(&server.url(), "sari-canned-edit").await;
    b.goto("/").await;
    b.sign_in("sari@example.org", PASSWORD).await;
    b.goto("/account").await;
    let row = "[data-testid=canned-row][data-shortcut=thanks]";
    b.wait_text(row, "Thanks, {{reporter.name}}.").await;
    b.click(&format!("{row} [data-testid=canned-edit]")).await;
    b.wait_for("[data-testid=canned-edit-dialog]").await;
    assert_eq!(b.prop("#canned-edit-title", "value").await.as_deref(), Some("Thanks"));
    // A shortcut taken by her other reply is refused by the server, and said so.
    b.fill("#canned-edit-shortcut", "otw").await;
    b.click_button("Save changes").await;
    b.wait_text("[data-testid=canned-edit-error]", "shortcut is taken")
        .await;
    b.fill("#canned-edit-shortcut", "thanks").await;
    b.fill(
        "#canned-edit-en",
        "Thank you, {{reporter.name}}. We fixed {{ticket.key}}.",
    )
    .await;
    b.click_button("Save changes").await;
    b.wait_until("the dialog closed", || async {
        count(&b, "[data-testid=canned-edit-dialog]").await == 0
    })
    .await;
    b.wait_text(row, "Thank you, {{reporter.name}}. We fixed {{ticket.key}}.")
        .await;
    b.screenshot("canned-edited").await;
    // Stored: the new English text, everything else as it was.
    let all = sari.get("/api/canned-replies").await.body;
    let thanks = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["shortcut"] == "thanks")
        .cloned()
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(
        (
            thanks["title"].as_str(),
            thanks["text_en"].as_str(),
            thanks["text_id"].as_str()
        ),
        (
            Some("Thanks"),
            Some("Thank you, {{reporter.name}}. We fixed {{ticket.key}}."),
            Some("Terima kasih.")
        )
    );
    b.close().await;
}
