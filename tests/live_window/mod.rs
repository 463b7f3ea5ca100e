//! A window that lives across updates, as the real runtime runs it. The `Simulator` lays out
//! one view and forgets its widget state; here the widget state (which field has the focus,
//! the cursor in it) is kept from frame to frame while the view is rebuilt after every event,
//! and the widget operations of tasks (focus, move the cursor) are applied to the window.
//! That is what a person typing at real speed meets: each key is its own frame, and every
//! message it caused has changed the view before the next key arrives.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;

use iced::{Font, Pixels, Rectangle, Size};
use iced_test::core::widget::operation::{self, Outcome};
use iced_test::core::{Event, clipboard, mouse, renderer::Headless, widget};
use iced_test::futures::futures::StreamExt;
use iced_test::renderer::Renderer;
use iced_test::runtime::user_interface::{self, UserInterface};
use iced_test::runtime::{Action, task};
use iced_test::selector::{self, Selector, Target};
use iced_test::simulator;

use tidings::app::{App, Message};

pub struct LiveWindow {
    renderer: Renderer,
    cache: Option<user_interface::Cache>,
    size: Size,
    cursor: mouse::Cursor,
    runtime: tokio::runtime::Runtime,
}

impl LiveWindow {
    pub fn new(size: impl Into<Size>) -> LiveWindow {
        let backend = std::env::var("ICED_TEST_BACKEND").ok();
        let renderer = iced_test::futures::futures::executor::block_on(Renderer::new(
            Font::with_name("Fira Sans"),
            Pixels(16.0),
            backend.as_deref(),
        ))
        .expect("a headless renderer");
        LiveWindow {
            renderer,
            cache: Some(user_interface::Cache::default()),
            size: size.into(),
            cursor: mouse::Cursor::Unavailable,
            runtime: tokio::runtime::Runtime::new().unwrap(),
        }
    }

    /// Builds the app's current view on the kept widget state, runs `f` on it, keeps the state.
    fn with_ui<R>(
        &mut self,
        app: &App,
        f: impl FnOnce(&mut UserInterface<'_, Message, iced::Theme, Renderer>, &mut Renderer) -> R,
    ) -> R {
        let cache = self.cache.take().unwrap_or_default();
        let mut ui = UserInterface::build(app.view(), self.size, cache, &mut self.renderer);
        let out = f(&mut ui, &mut self.renderer);
        self.cache = Some(ui.into_cache());
        out
    }

    /// Where the widget with `id` is on screen, if it is shown.
    pub fn bounds(&mut self, app: &App, id: &str) -> Option<Rectangle> {
        self.with_ui(app, |ui, renderer| {
            let mut find = selector::id(id.to_string()).find();
            ui.operate(renderer, &mut operation::black_box(&mut find));
            match operation::Operation::finish(&find) {
                Outcome::Some(Some(target)) => target.visible_bounds(),
                _ => None,
            }
        })
    }

    /// Whether the widget `id` is shown whole: not cut by a scrolled area or the window's edge.
    pub fn shown_whole(&mut self, app: &App, id: &str) -> bool {
        self.with_ui(app, |ui, renderer| {
            let mut find = selector::id(id.to_string()).find();
            ui.operate(renderer, &mut operation::black_box(&mut find));
            match operation::Operation::finish(&find) {
                Outcome::Some(Some(target)) => target.visible_bounds().is_some_and(|shown| {
                    let whole = target.bounds();
                    let near = |a: f32, b: f32| (a - b).abs() < 0.5;
                    near(shown.x, whole.x)
                        && near(shown.y, whole.y)
                        && near(shown.width, whole.width)
                        && near(shown.height, whole.height)
                }),
                _ => false,
            }
        })
    }

    /// Whether the widget `id` has the focus.
    pub fn has_focus(&mut self, app: &App, id: &str) -> bool {
        let wanted = widget::Id::from(id.to_string());
        self.with_ui(app, |ui, renderer| {
            let mut find = selector::is_focused().find_all();
            ui.operate(renderer, &mut operation::black_box(&mut find));
            let Outcome::Some(found) = operation::Operation::finish(&find) else { return false };
            found.iter().any(|target| match target {
                Target::Focusable { id, .. } | Target::TextInput { id, .. } => id.as_ref() == Some(&wanted),
                _ => false,
            })
        })
    }

    /// Points at the middle of the widget `id` and clicks.
    pub fn click(&mut self, app: &mut App, id: &str) {
        let bounds = self.bounds(app, id).unwrap_or_else(|| panic!("{id} is not shown"));
        self.cursor = mouse::Cursor::Available(bounds.center());
        self.events(app, simulator::click());
    }

    /// Types `text` one key at a time, each key its own frame.
    pub fn type_text(&mut self, app: &mut App, text: &str) {
        self.events(app, simulator::typewrite(text));
    }

    /// Delivers `events` one at a time; the messages each causes (and the tasks those start)
    /// are handled and the view rebuilt before the next.
    pub fn events(&mut self, app: &mut App, events: impl IntoIterator<Item = Event>) {
        for event in events {
            let cursor = self.cursor;
            let mut messages = Vec::new();
            self.with_ui(app, |ui, renderer| {
                let _ = ui.update(&[event], cursor, renderer, &mut clipboard::Null, &mut messages);
            });
            self.settle(app, messages);
        }
    }

    /// Handles `messages` as the runtime would: each update's task runs to its end; its widget
    /// operations act on the window as it is then, its messages are handled after.
    pub fn settle(&mut self, app: &mut App, messages: Vec<Message>) {
        let mut queue: VecDeque<Message> = messages.into();
        while let Some(message) = queue.pop_front() {
            let Some(stream) = task::into_stream(app.update(message)) else { continue };
            let actions: Vec<Action<Message>> = self.runtime.block_on(stream.collect());
            for action in actions {
                match action {
                    Action::Output(message) => queue.push_back(message),
                    Action::Widget(operation) => self.operate(app, operation),
                    _ => {}
                }
            }
        }
    }

    fn operate(&mut self, app: &App, operation: Box<dyn operation::Operation>) {
        self.with_ui(app, |ui, renderer| {
            let mut current = Some(operation);
            while let Some(mut operation) = current.take() {
                ui.operate(renderer, operation.as_mut());
                if let Outcome::Chain(next) = operation.finish() {
                    current = Some(next);
                }
            }
        });
    }
}
