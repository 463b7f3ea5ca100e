//! Read receipts in the reader (RFC 8098). When a message that asks for a receipt is shown
//! and none was sent or declined yet (no `$MDNSent`), the account's policy applies: never,
//! nothing; ask, a bar ("Bob asked to be told when you read this" · Send receipt · Ignore);
//! always, the receipt goes without asking — except where the core's `mdn::decide` says RFC
//! 8098 §2.1 wants the person asked, which shows the bar with the reason in words.
//!
//! Sending and declining are the core's (`mdn::send`, `mdn::ignore`, as `tidings receipt`
//! uses them), in tasks: `$MDNSent` is set, the receipt queued in the Outbox, and the
//! account's send/receive then sends it. A receipt that arrived shows as a small card ("Read
//! by bob@… on 6 Dec at 10:32"), and a message the person sent lists the receipts it got.

use iced::font::Weight;
use iced::widget::{Column, button, column, container, row, text};
use iced::{Element, Font, Length, Task, widget};

use tidings_mail::error::{Error, Kind};
use tidings_mail::mdn::{self, AskReason, Decision, Mode, Receipt, Request};
use tidings_mail::message::Report;
use tidings_mail::store::{FolderId, StoreHandle};

use super::invitation::Invitee;
use super::{Action, Mailbox, Message, outbox};
use crate::theme;

pub mod id {
    pub const SEND: &str = "receipt-send";
    pub const IGNORE: &str = "receipt-ignore";
}

/// What the reader knows about receipts for the shown message, read with it.
#[derive(Debug, Clone, Default)]
pub struct Receipts {
    /// The message asks for a receipt.
    pub request: Option<Request>,
    /// It has `$MDNSent`: a receipt was sent or declined, here or by another program.
    pub answered: bool,
    /// The message is itself a read receipt.
    pub incoming: Option<Receipt>,
    /// The receipts a message the person sent got, newest first.
    pub got: Vec<Receipt>,
}

impl Receipts {
    /// What the raw message says (CPU work, in the load task); `report`: the core's reading
    /// of a report the message is, so only a disposition report is read as a receipt.
    pub fn read(raw: &[u8], report: Option<&Report>) -> Receipts {
        let incoming =
            report.filter(|r| r.kind.contains("disposition")).and_then(|_| mdn::parse_receipt(raw));
        Receipts { request: mdn::requested(raw), incoming, ..Receipts::default() }
    }

    /// Then what the store says: whether message `uid` of `folder` has `$MDNSent`, and, when
    /// `from` is one of the person's addresses, the receipts stored for `message_id`.
    pub async fn stored(
        mut self,
        store: &StoreHandle,
        invitee: &Invitee,
        at: (FolderId, u32),
        from: Option<String>,
        message_id: Option<String>,
    ) -> Receipts {
        let own = match &invitee.account {
            Some(account) => mdn::own_addresses(account),
            None => invitee.viewer.as_ref().map(|v| v.addresses.clone()).unwrap_or_default(),
        };
        let sent = from.is_some_and(|f| own.iter().any(|o| o.trim().eq_ignore_ascii_case(f.trim())));
        let wanted = message_id.filter(|_| sent);
        let (key, check) = (invitee.key.clone(), self.request.is_some());
        let (folder, uid) = at;
        let read = store
            .call(move |s| {
                let answered =
                    check && s.message(folder, uid)?.is_some_and(|r| mdn::already_answered(&r.flags));
                let got = match wanted {
                    Some(id) => mdn::receipts_for(s, &key, &id)?,
                    None => Vec::new(),
                };
                Ok((answered, got))
            })
            .await;
        // Not knowing is no reason to send: an unreadable flag counts as answered.
        let (answered, got) = read.unwrap_or((true, Vec::new()));
        self.answered = answered;
        self.got = got;
        self
    }
}

/// The bar's state for the shown message; it starts anew with each opened message.
#[derive(Debug, Clone, Default)]
pub enum Bar {
    #[default]
    Hidden,
    /// Send receipt · Ignore, and why the person is asked.
    Ask(AskReason),
    Sending,
    /// Queued, and the account's send/receive asked for; `automatic`: by the policy.
    Sent {
        to: String,
        automatic: bool,
    },
    Failed(String),
}

#[derive(Debug, Clone)]
pub enum Msg {
    Send,
    Ignore,
    /// The receipt for message `uid` of `folder` was queued (`Some`: to whom) or not needed
    /// (`None`: answered meanwhile, elsewhere).
    Sent {
        folder: FolderId,
        uid: u32,
        automatic: bool,
        result: Result<Option<String>, Error>,
    },
    Ignored(Result<(), Error>),
}

impl Mailbox {
    /// Message `uid` of `folder` was loaded: when it is the one shown, the account's policy
    /// applies to its request.
    pub(super) fn receipt_on_show(&mut self, folder: FolderId, uid: u32) -> Task<Message> {
        let here = self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == uid);
        let Some(shown) = self.reader.shown().filter(|_| here) else { return Task::none() };
        let receipts = &shown.receipts;
        let Some(request) = receipts.request.as_ref().filter(|_| !receipts.answered) else {
            return Task::none();
        };
        // A mailbox without an account (store only) sends nothing.
        let Some(account) = &self.reader.invitee().account else { return Task::none() };
        let own = mdn::own_addresses(account);
        // The person's own message (its Sent copy) asks them nothing.
        let from = shown.headers.from_addr.as_deref().unwrap_or("");
        if own.iter().any(|o| o.trim().eq_ignore_ascii_case(from.trim())) {
            return Task::none();
        }
        match mdn::decide(account.options.read_receipts, request, &own) {
            Decision::Never => Task::none(),
            Decision::Ask(reason) => {
                self.reader.content_mut().receipt = Bar::Ask(reason);
                Task::none()
            }
            Decision::Send => self.send_receipt(Mode::Automatic),
        }
    }

    pub(super) fn receipt(&mut self, msg: Msg) -> Action {
        let task = match msg {
            Msg::Send => self.send_receipt(Mode::Manual),
            Msg::Ignore => self.ignore_receipt(),
            Msg::Sent { folder, uid, automatic, result } => {
                return self.receipt_sent(folder, uid, automatic, result);
            }
            Msg::Ignored(Ok(())) => Task::none(),
            Msg::Ignored(Err(e)) => self.failed(e),
        };
        if task.units() == 0 { Action::None } else { Action::Run(task) }
    }

    fn send_receipt(&mut self, mode: Mode) -> Task<Message> {
        let Some(opened) = self.reader.opened() else { return Task::none() };
        let (folder, uid) = (opened.folder, opened.row.uid);
        let (Some(account), Some(stores)) = (self.reader.invitee().account.clone(), &self.stores) else {
            self.reader.content_mut().receipt =
                Bar::Failed("this mailbox has no account to send from".to_string());
            return Task::none();
        };
        let store = stores.write.clone();
        let bar = &mut self.reader.content_mut().receipt;
        if matches!(bar, Bar::Sending | Bar::Sent { .. }) {
            return Task::none();
        }
        *bar = Bar::Sending;
        let automatic = mode == Mode::Automatic;
        Task::perform(
            async move {
                let queued = mdn::send(&store, &account, folder, uid, mode, false).await?;
                Ok(queued.map(|q| q.item.recipients.join(", ")))
            },
            move |result| Message::Receipt(Msg::Sent { folder, uid, automatic, result }),
        )
    }

    fn receipt_sent(
        &mut self,
        folder: FolderId,
        uid: u32,
        automatic: bool,
        result: Result<Option<String>, Error>,
    ) -> Action {
        let here = self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == uid);
        let queued = matches!(result, Ok(Some(_)));
        if here {
            self.reader.content_mut().receipt = match result {
                Ok(Some(to)) => Bar::Sent { to, automatic },
                Ok(None) => Bar::Hidden,
                Err(e) => Bar::Failed(e.message().to_string()),
            };
        } else if let Err(e) = result {
            self.notice = Some((format!("Cannot send the read receipt: {}", e.message()), true));
        }
        if !queued {
            return Action::None;
        }
        // The Outbox read again, then a send/receive sends the receipt (as "Send again").
        self.pass_after_outbox = true;
        let Some(stores) = &self.stores else { return Action::GetMail };
        Action::Run(outbox::load(stores.read.clone(), self.account_key.clone()))
    }

    fn ignore_receipt(&mut self) -> Task<Message> {
        let Some(opened) = self.reader.opened() else { return Task::none() };
        let (folder, uid) = (opened.folder, opened.row.uid);
        let (Some(account), Some(stores)) = (self.reader.invitee().account.clone(), &self.stores) else {
            return self.failed(Error::new(
                Kind::Config,
                "cannot decline the read receipt: this mailbox has no account",
            ));
        };
        let store = stores.write.clone();
        self.reader.content_mut().receipt = Bar::Hidden;
        Task::perform(async move { mdn::ignore(&store, &account, folder, uid).await }, |r| {
            Message::Receipt(Msg::Ignored(r))
        })
    }
}

fn bold() -> Font {
    Font { weight: Weight::Bold, ..Font::DEFAULT }
}

fn small_button<'a>(
    label: &'a str,
    message: Message,
    widget_id: &'static str,
    primary: bool,
) -> Element<'a, Message> {
    let style = if primary { theme::button::primary } else { theme::button::secondary };
    container(button(text(label).size(12)).padding([2, 10]).style(style).on_press(message))
        .id(widget::Id::new(widget_id))
        .into()
}

/// The bar under the headers: the question, or what became of the receipt.
pub fn bar<'a>(receipts: &'a Receipts, bar: &'a Bar) -> Option<Element<'a, Message>> {
    let (line, style): (Element<'a, Message>, fn(&iced::Theme) -> container::Style) = match bar {
        Bar::Hidden => return None,
        Bar::Ask(reason) => {
            let asker = receipts.request.as_ref().map(Request::asker).unwrap_or("The sender");
            let mut words =
                column![text(format!("{asker} asked to be told when you read this")).size(13)].spacing(2);
            let doubtful = *reason != AskReason::Policy;
            if doubtful {
                words = words
                    .push(text(format!("Note: {}.", reason.text())).size(12).style(theme::text::warning));
            }
            let line = row![
                words.width(Length::Fill),
                small_button("Send receipt", Message::Receipt(Msg::Send), id::SEND, true),
                small_button("Ignore", Message::Receipt(Msg::Ignore), id::IGNORE, false),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center);
            (line.into(), if doubtful { theme::container::warning } else { theme::container::card })
        }
        Bar::Sending => (text("Sending the read receipt…").size(13).into(), theme::container::card),
        Bar::Sent { to, automatic } => {
            let how = if *automatic { " (this account sends read receipts without asking)" } else { "" };
            let line = row![
                text("Receipt sent").size(13),
                text(format!("to {to}{how}")).size(12).style(theme::text::muted),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center);
            (line.into(), theme::container::card)
        }
        Bar::Failed(why) => {
            (text(format!("Cannot send the read receipt: {why}")).size(13).into(), theme::container::error)
        }
    };
    Some(container(line).padding([6, 10]).width(Length::Fill).style(style).into())
}

/// Above the body: the receipt the message is, and the receipts a sent message got.
pub fn cards(receipts: &Receipts) -> Option<Element<'_, Message>> {
    let mut all = Column::new().spacing(8);
    if let Some(receipt) = &receipts.incoming {
        let mut lines = column![text(receipt.summary()).size(13).font(bold())].spacing(2);
        if !receipt.manual {
            lines = lines.push(
                text("Sent by their mail program without asking them").size(12).style(theme::text::muted),
            );
        }
        all = all.push(container(lines).padding([8, 10]).width(Length::Fill).style(theme::container::card));
    }
    if !receipts.got.is_empty() {
        let title = match receipts.got.len() {
            1 => "1 read receipt".to_string(),
            n => format!("{n} read receipts"),
        };
        let lines = column![text(title).size(12).style(theme::text::muted)]
            .extend(receipts.got.iter().map(|r| text(r.summary()).size(13).into()))
            .spacing(2);
        all = all.push(container(lines).padding([8, 10]).width(Length::Fill).style(theme::container::card));
    }
    (receipts.incoming.is_some() || !receipts.got.is_empty()).then(|| all.into())
}
