import BreakglassCore

/// A short tour of the keys, shown over the console when it opens (`breakglass demo`): a few
/// pages, Enter for the next, Esc to end it. The keys it names come from the keymap, so a rebound
/// key is named as bound.
public struct TourPage: Hashable, Sendable {
    public var title: String
    public var text: String

    public init(_ title: String, _ text: String) {
        self.title = title
        self.text = text
    }
}

public enum ConsoleTour {
    /// The tour of a console on a sandbox incident.
    public static func sandbox(keymap: Keymap) -> [TourPage] {
        func key(_ action: ConsoleAction, _ view: ConsoleView = .alarms) -> String {
            keymap.bindings(view: view).first { $0.action == action }?.keys.first?.label ?? "?"
        }
        return [
            TourPage(
                "A live incident",
                "This console watches a local sandbox: moto_server on 127.0.0.1, no AWS account, nothing leaves this machine. "
                    + "The holiday sale has begun: alarms are firing, and the watch daemon opens an incident and pages the on-call. "
                    + "More breaks while you watch."),
            TourPage(
                "Look around",
                "\(key(.moveDown))/\(key(.moveUp)) move, \(key(.select)) opens an alarm with its graph, \(key(.filter)) filters, \(key(.sort)) sorts. "
                    + "1 to 5 switch screens (alarms, incidents, runbook, access, audit). \(key(.back)) backs out one level."),
            TourPage(
                "Answer the page",
                "When the PAGE banner shows, \(key(.acknowledge)) acknowledges: the escalation stops. "
                    + "The incidents screen shows each incident's stage, who was paged and the countdown to the next page."),
            TourPage(
                "Fix it",
                "\(key(.openRunbook)) opens the suggested runbook: one confirmed step at a time. You are a read-only on-call user, "
                    + "so changes need break-glass access; the runbook offers it (criteria, a reason, an MFA code: any six digits here). "
                    + "Every step lands in the audit trail (5)."),
            TourPage(
                "Help is one key away",
                "\(key(.help)) lists every key of the screen you are on, \(key(.commandLine)) opens commands, \(key(.quit)) quits and stops the sandbox."),
        ]
    }
}

extension ConsoleState {
    /// Opens the tour over whatever shows.
    public mutating func startTour(_ pages: [TourPage]) {
        tour = pages
        if !pages.isEmpty { overlay = .tour(page: 0) }
    }

    /// A key while the tour shows: Enter, Space or Right for the next page (the last one ends it),
    /// Left for the previous, Esc (or any other key) ends it; quit still quits.
    mutating func tourKey(_ key: Key, page: Int) -> [ConsoleEffect] {
        switch key {
        case .enter, .char(" "), .right:
            overlay = page + 1 < tour.count ? .tour(page: page + 1) : nil
        case .left:
            overlay = .tour(page: max(0, page - 1))
        default:
            if keymap.action(for: key, view: view, guided: guided) == .quit { return [.quit] }
            overlay = nil
        }
        return []
    }
}

extension ConsoleRenderer {
    /// The tour's page in a box over the screen.
    mutating func renderTour(page: Int) {
        guard state.tour.indices.contains(page) else { return }
        let current = state.tour[page]
        let glyphs = theme.glyphs
        let boxWidth = min(width - 4, 64)
        let lines = glyphs.wrap(glyphs.sanitize(current.text), toWidth: boxWidth - 4)
        let boxHeight = min(grid.height - 2, lines.count + 6)
        let x0 = max(0, (width - boxWidth) / 2)
        let y0 = max(1, (grid.height - boxHeight) / 2)
        let frame = theme[.header]
        grid.fill(x: x0, y: y0, width: boxWidth, height: boxHeight, style: theme[.text])
        grid.drawBox(x: x0, y: y0, width: boxWidth, height: boxHeight, style: frame, glyphs: glyphs)
        grid.put(" Tour \(page + 1)/\(state.tour.count) \(glyphs.dash) Esc ends it ", x: x0 + 2, y: y0, style: frame, maxWidth: boxWidth - 4)
        grid.put(current.title, x: x0 + 2, y: y0 + 1, style: theme[.header], maxWidth: boxWidth - 4)
        for (i, line) in lines.prefix(max(0, boxHeight - 5)).enumerated() {
            grid.put(line, x: x0 + 2, y: y0 + 3 + i, style: theme[.text], maxWidth: boxWidth - 4)
        }
        let hint = page + 1 < state.tour.count ? "Enter next \(glyphs.dot) Left back \(glyphs.dot) Esc ends the tour" : "Enter or Esc: start using the console"
        grid.put(hint, x: x0 + 2, y: y0 + boxHeight - 2, style: theme[.footerKey], maxWidth: boxWidth - 4)
    }
}
