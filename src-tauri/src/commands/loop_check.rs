//! The Loop check panel's commands (Admin mode) and the clock check of both modes, over
//! [`LoopCheckPanel`] and the Admin connection's [`AdminSession`]. A run streams its steps
//! over a Tauri channel as they happen and resolves with the whole report; a second run at
//! once is refused by the panel (`already_running`). Closing the window mid-run waits for
//! the run's clean-up.

use tauri::ipc::Channel;
use tauri::State;
use twofold_desktop::loop_check::clock::ClockCheck;
use twofold_desktop::loop_check::panel::{
    LoopCheckPanel, PanelError, PanelEvent, PanelState, ReportView,
};
use twofold_desktop::AdminSession;

type Panel<'a> = State<'a, LoopCheckPanel>;
type Session<'a> = State<'a, AdminSession>;

#[tauri::command]
pub async fn loop_check_state(panel: Panel<'_>, session: Session<'_>) -> Result<PanelState, ()> {
    Ok(panel.state(&session.info().url))
}

#[tauri::command]
pub async fn loop_check_run(
    panel: Panel<'_>,
    session: Session<'_>,
    portal_url: String,
    events: Channel<PanelEvent>,
) -> Result<ReportView, PanelError> {
    panel.run(&session, &portal_url, &move |e| drop(events.send(e))).await
}

#[tauri::command]
pub async fn loop_check_copy_report(panel: Panel<'_>) -> Result<(), PanelError> {
    panel.copy_report()
}

#[tauri::command]
pub async fn clock_check(panel: Panel<'_>, session: Session<'_>) -> Result<Option<ClockCheck>, ()> {
    Ok(panel.clock_check(&session).await)
}

/// Closing the window during a run stops the run where it is and closes once its clean-up
/// has removed what the run made, as Ctrl-C does for the CLI: the throwaway user and vault
/// account never outlive the window.
pub fn close_after_clean_up(window: &tauri::Window, event: &tauri::WindowEvent) {
    use tauri::Manager;
    if let tauri::WindowEvent::CloseRequested { api, .. } = event {
        let panel = window.state::<LoopCheckPanel>();
        if panel.is_running() {
            api.prevent_close();
            panel.cancel();
            let window = window.clone();
            tauri::async_runtime::spawn(async move {
                window.state::<LoopCheckPanel>().idle().await;
                let _ = window.destroy();
            });
        }
    }
}
