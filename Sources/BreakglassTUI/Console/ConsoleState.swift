import BreakglassCore
import Foundation

/// An alarm's identity across refreshes: CloudWatch alarm names are unique per region.
public struct AlarmID: Hashable, Sendable {
    public var name: String
    public var region: String

    public init(name: String, region: String) {
        self.name = name
        self.region = region
    }

    public init(_ alarm: Alarm) {
        self.init(name: alarm.name, region: alarm.region)
    }
}

/// How many alarms are in each state; counted once per load, never per frame.
public struct AlarmCounts: Hashable, Sendable {
    public var alarm = 0
    public var insufficientData = 0
    public var ok = 0

    public init(alarm: Int = 0, insufficientData: Int = 0, ok: Int = 0) {
        self.alarm = alarm
        self.insufficientData = insufficientData
        self.ok = ok
    }

    public init(_ alarms: [Alarm]) {
        for alarm in alarms {
            switch alarm.state {
            case .alarm: self.alarm += 1
            case .insufficientData: insufficientData += 1
            case .ok: ok += 1
            }
        }
    }

    public var total: Int { alarm + insufficientData + ok }
}

/// The outcome of the last refresh that finished. Whether one is running now is
/// `ConsoleState.refreshInFlight`.
public enum RefreshStatus: Hashable, Sendable {
    /// Nothing has been asked yet.
    case neverLoaded
    /// The first refresh is running; there is nothing to show yet.
    case loading
    case loaded(at: Date)
    /// The last refresh failed. The alarms from the last success (at `lastLoaded`, if any) are kept
    /// and still shown.
    case failed(message: String, at: Date, lastLoaded: Date?)

    public var lastLoaded: Date? {
        switch self {
        case .neverLoaded, .loading: nil
        case .loaded(let at): at
        case .failed(_, _, let lastLoaded): lastLoaded
        }
    }
}

/// Everything the alarm console shows, owned by the main loop and changed only by `reduce`.
///
/// Invariants: `alarms` is in `Alarm.triageOrder` (the alarms screen shows `alarmsView.rows`, its
/// sorted and filtered indices into it); `selectedIndex` is nil exactly when no alarm is shown (none
/// loaded, or the filter matches none), and otherwise `selectedID` names the alarm at `selectedIndex`
/// (while the filter hides everything it keeps the alarm to select again); the selected row
/// (`alarmsView.selectedRow`) is inside the visible window `scrollOffset ..< scrollOffset +
/// layout.listHeight` of `alarmsView.rows` whenever the list has room (the banner, when shown, takes
/// a row from the list); at most one refresh and one page poll run at a time
/// (`refreshInFlight`, `pageFeed.inFlight`); `notices` holds at most one notice per incident.
public struct ConsoleState: Sendable {
    public internal(set) var alarms: [Alarm] = []
    public internal(set) var counts = AlarmCounts()
    /// Display width of the longest (sanitised) alarm name, so the name column is no wider than needed.
    public internal(set) var widestName = 0
    public internal(set) var selectedIndex: Int?
    /// The selection follows this alarm when a refresh reorders or changes the list.
    public internal(set) var selectedID: AlarmID?
    public internal(set) var scrollOffset = 0
    public internal(set) var size: TerminalSize
    public var identity: String
    public var regions: [String]
    public internal(set) var refresh: RefreshStatus = .neverLoaded
    public internal(set) var refreshInFlight = false
    /// When the running refresh started; nil when none runs.
    public internal(set) var refreshStartedAt: Date?
    /// When the next automatic refresh is due (a tick at or after it starts one).
    public internal(set) var nextRefreshAt: Date
    /// Failures since the last success; drives the backoff.
    public internal(set) var consecutiveFailures = 0
    public var refreshInterval: TimeInterval
    /// A refresh with no answer after this long counts as failed and is abandoned, so one hung
    /// request cannot stop the list from ever updating again.
    public var refreshTimeout: TimeInterval = 60
    /// Pages from the shared store: whether they are watched and how that is going.
    public internal(set) var pageFeed: PageFeedStatus
    /// Undismissed page notices, oldest news first; the banner shows one of them.
    public internal(set) var notices: [PageNotice] = []
    /// The incident the person just acted on with `a`: the banner keeps showing its notice (the
    /// answer) until it is dismissed or a new page arrives.
    public internal(set) var focusedIncident: Int64?

    // MARK: Screens

    /// The screen shown.
    public internal(set) var view: ConsoleView = .alarms
    /// Screens left for another, most recent last: Esc goes back to them.
    public internal(set) var history: [ConsoleView] = []
    /// Help or the command line, drawn over the screen and taking every key while open.
    public internal(set) var overlay: ConsoleOverlay?
    /// The pages of the tour (`startTour`), shown while `overlay` is `.tour`.
    public internal(set) var tour: [TourPage] = []
    /// One line for the footer until the next key: the answer to a command ("unknown command").
    public internal(set) var message: ConsoleMessage?
    /// The keys, after `console.keys` in the configuration.
    public var keymap: Keymap = .console
    /// Guided mode: one runbook step per screen, for the non-technical backup; nothing else is
    /// reachable, and only quitting leaves it.
    public internal(set) var guided = false
    public var alarmsView = AlarmsViewState()
    public var incidents = IncidentsViewState()
    public var runbook = RunbookViewState()
    public var access = AccessViewState()
    public var audit = AuditViewState()

    /// The longest wait between automatic refreshes while failing (unless the interval itself is
    /// longer).
    public static let maximumBackoff: TimeInterval = 300

    /// A console that refreshes (and, with pages `.on`, looks for pages) at the first tick.
    public init(
        identity: String, regions: [String], refreshInterval: TimeInterval = 15, size: TerminalSize,
        now: Date, pages: PageFeedStatus.Mode = .off, guided: Bool = false, keymap: Keymap = .console
    ) {
        self.guided = guided
        self.keymap = keymap
        if guided { view = .runbook }
        self.identity = identity
        self.regions = regions
        self.refreshInterval = max(1, refreshInterval)
        self.size = size
        nextRefreshAt = now
        pageFeed = PageFeedStatus(mode: pages, now: now)
    }

    public var selectedAlarm: Alarm? {
        selectedIndex.map { alarms[$0] }
    }

    public var layout: ConsoleLayout {
        ConsoleLayout(size: size, regions: regions, widestName: widestName, banner: banner != nil && !guided)
    }

    /// How long to wait after `consecutiveFailures` failures: the interval doubled per failure, at most
    /// `maximumBackoff` (or the interval, if that is longer).
    public var retryDelay: TimeInterval {
        let exponent = min(consecutiveFailures, 20)
        let delay = refreshInterval * Double(1 << exponent)
        return min(delay, max(refreshInterval, Self.maximumBackoff))
    }
}

/// What is drawn over the screen.
public enum ConsoleOverlay: Hashable, Sendable {
    /// The keys of the screen under it, from the keymap; scrolled by `offset` lines.
    case help(offset: Int)
    case command(CommandLineState)
    /// A page of the tour of the keys (`ConsoleTour`).
    case tour(page: Int)
}

/// A line for the footer: an answer, or a problem.
public struct ConsoleMessage: Hashable, Sendable {
    public var text: String
    public var isError: Bool
    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}
