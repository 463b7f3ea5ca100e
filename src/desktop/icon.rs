//! The window's icon and application id, matching the desktop file
//! (`assets/org.tidings.Tidings.desktop`: `Icon=` and `StartupWMClass=`), so that docks and
//! window switchers show the icon and group the window with its launcher.

use iced::window;

/// The application id: the desktop file's name, the window's class (X11) or app id
/// (Wayland), the icon's name and the bus name.
pub const APP_ID: &str = super::instance::BUS_NAME;

/// The icon at 128 pixels (made from the SVG by `scripts/icons`), in the binary.
const PNG: &[u8] = include_bytes!("../../assets/icons/hicolor/128x128/apps/org.tidings.Tidings.png");

/// The window's icon; none if the embedded PNG cannot be read (the window opens without one).
pub fn window_icon() -> Option<window::Icon> {
    let image = image::load_from_memory_with_format(PNG, image::ImageFormat::Png).ok()?.into_rgba8();
    let (width, height) = image.dimensions();
    window::icon::from_rgba(image.into_raw(), width, height).ok()
}

/// Window settings with the icon and the application id.
pub fn dress(settings: window::Settings) -> window::Settings {
    let mut settings = settings;
    settings.icon = window_icon();
    settings.platform_specific.application_id = APP_ID.to_string();
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_carries_the_icon_and_the_desktop_files_id() {
        let settings = dress(window::Settings::default());
        let icon = settings.icon.expect("the embedded icon decodes");
        let (rgba, size) = icon.into_raw();
        assert_eq!((size, rgba.len()), (iced::Size::new(128, 128), 128 * 128 * 4));
        assert_eq!(settings.platform_specific.application_id, "org.tidings.Tidings");
        let desktop = include_str!("../../assets/org.tidings.Tidings.desktop");
        assert!(desktop.contains("\nStartupWMClass=org.tidings.Tidings\n"), "{desktop}");
        assert!(desktop.contains("\nIcon=org.tidings.Tidings\n"), "{desktop}");
    }
}
