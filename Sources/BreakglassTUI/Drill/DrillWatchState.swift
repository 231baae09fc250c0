import BreakglassCore
import Foundation

// The facilitator's live view of a drill (`breakglass drill watch`, docs/DRILLS.md "The facilitator's
// view"): its state, the events that change it and the pure reducer. The loop (DrillWatchLoop.swift)
// runs the effects; the renderer (DrillWatchRender.swift) draws the state.

/// Everything that can happen to the facilitator's view, in one stream.
public enum DrillWatchEvent: Sendable, Equatable {
    case key(Key)
    case resize(TerminalSize)
    /// Time passed: a reload starts when one is due, an old notice goes. The loop sends one at least
    /// every second.
    case tick
    /// The newest snapshot of the drill, from `load`.
    case loaded(DrillTimeline)
    /// `load` failed; the message (from outside, sanitised when drawn) is shown until a load succeeds.
    case loadFailed(String)
    /// `addNote` stored the note.
    case noteAdded(String)
    /// `addNote` failed: the note's text and why.
    case noteFailed(String, message: String)
}

/// What the loop must do after an event. The reducer asks; the loop does the I/O.
public enum DrillWatchEffect: Hashable, Sendable {
    /// Read the newest snapshot in the background; answer with `loaded` or `loadFailed`.
    case load
    /// Store a facilitator's note in the background; answer with `noteAdded` or `noteFailed`.
    case addNote(String)
    case quit
    case bell
    /// Repaint the whole screen on the next draw (Ctrl-L).
    case redraw
}

/// What the facilitator's view shows and is doing. Pure value; `handle` is the only way it changes.
///
/// The event log is scrolled by `scroll`: how many of the newest events are below the window. 0 keeps
/// the newest event on the bottom row as events arrive; scrolled back, the window stays on the same
/// events while new ones arrive below.
public struct DrillWatchState: Sendable, Equatable {
    /// The longest note the field takes, in characters. A note is a line of the event log and the
    /// report, not an essay; longer text is refused with the bell.
    public static let noteLimit = 280
    /// Seconds between reloads while they succeed. The overlap guard keeps it at one load at a time.
    public static let reloadInterval: TimeInterval = 1
    /// A snapshot older than this is marked stale in the top bar.
    public static let staleAfter: TimeInterval = 5
    /// How long a notice ("note added") stays in the footer when no key clears it.
    public static let noticeDuration: TimeInterval = 5

    public internal(set) var size: TerminalSize
    /// The newest snapshot; nil until the first load answers.
    public internal(set) var timeline: DrillTimeline?
    /// When the last load answered successfully.
    public internal(set) var loadedAt: Date?
    /// Why the last load failed; nil once one succeeds.
    public internal(set) var loadError: String?
    /// A load is running (the overlap guard).
    public internal(set) var loading = false
    /// A load was asked for while one ran: start another when it answers.
    var reloadWanted = false
    var nextLoadAt: Date?
    /// The note being typed; nil when the note field is closed.
    public internal(set) var note: String?
    /// A note whose storing failed: `n` brings it back into the field.
    public internal(set) var failedNote: String?
    /// Notes handed to `addNote` that have not answered yet.
    public internal(set) var savingNotes = 0
    /// `q` was pressed while a note was being stored: quit once it is.
    public internal(set) var quitWhenSaved = false
    public internal(set) var scroll = 0
    public internal(set) var showingHelp = false
    /// A notice or an error for the footer; the next key clears it, and a notice goes by itself.
    public internal(set) var message: ConsoleMessage?
    var messageAt: Date?

    public init(size: TerminalSize) {
        self.size = size
    }

    public var layout: DrillWatchLayout { DrillWatchLayout(size: size, timeline: timeline) }

    /// Applies `event`. Pure: time comes in as `now`, work goes out as effects.
    public mutating func handle(_ event: DrillWatchEvent, now: Date) -> [DrillWatchEffect] {
        switch event {
        case .key(let key):
            return press(key, now: now)
        case .resize(let newSize):
            size = TerminalSize(width: max(0, newSize.width), height: max(0, newSize.height))
            clampScroll()
            return []
        case .tick:
            if let messageAt, message?.isError == false, now.timeIntervalSince(messageAt) >= Self.noticeDuration {
                message = nil
                self.messageAt = nil
            }
            guard !loading, now >= (nextLoadAt ?? now) else { return [] }
            return startLoad(now: now)
        case .loaded(let newTimeline):
            let added = newTimeline.events.count - (timeline?.events.count ?? 0)
            if scroll > 0, added > 0 { scroll += added }
            timeline = newTimeline
            loadedAt = now
            loadError = nil
            clampScroll()
            return finishLoad(now: now)
        case .loadFailed(let why):
            loadError = why
            return finishLoad(now: now)
        case .noteAdded:
            savingNotes = max(0, savingNotes - 1)
            if quitWhenSaved && savingNotes == 0 { return [.quit] }
            show("note added", isError: false, now: now)
            return reloadNow(now: now)
        case .noteFailed(let text, let why):
            savingNotes = max(0, savingNotes - 1)
            failedNote = text
            // Not quitting: the facilitator would not see that the note was lost.
            quitWhenSaved = false
            show("could not add the note: \(why) \(dash) n brings it back", isError: true, now: now)
            return []
        }
    }

    /// The earliest moment after `now` when the screen shows something new without any event: the
    /// next second of the recovery clock, of the time on the current step, or of the clock in the top
    /// bar. Never more than a second away.
    public func nextRedraw(after now: Date) -> Date {
        var candidates = [nextWholeSecond(after: now, from: Date(timeIntervalSince1970: 0))]
        if let timeline, timeline.clock.state == .running {
            candidates.append(nextWholeSecond(after: now, from: timeline.drill.startedAt))
            if let step = timeline.currentStep { candidates.append(nextWholeSecond(after: now, from: step.since)) }
        }
        return candidates.min() ?? now.addingTimeInterval(1)
    }

    private func nextWholeSecond(after now: Date, from origin: Date) -> Date {
        let elapsed = now.timeIntervalSince(origin)
        return origin.addingTimeInterval((elapsed + 1e-6).rounded(.down) + 1)
    }

    // MARK: Loading

    private mutating func startLoad(now: Date) -> [DrillWatchEffect] {
        loading = true
        nextLoadAt = now.addingTimeInterval(Self.reloadInterval)
        return [.load]
    }

    private mutating func finishLoad(now: Date) -> [DrillWatchEffect] {
        loading = false
        if reloadWanted {
            reloadWanted = false
            return startLoad(now: now)
        }
        return []
    }

    /// Loads at once (after the running load, if there is one), so a new note shows without waiting.
    private mutating func reloadNow(now: Date) -> [DrillWatchEffect] {
        guard !loading else {
            reloadWanted = true
            return []
        }
        return startLoad(now: now)
    }

    // MARK: Keys

    private mutating func press(_ key: Key, now: Date) -> [DrillWatchEffect] {
        if key == .ctrl("l") { return [.redraw] }
        if layout.isTooSmall {
            // Only quitting: nobody writes a note they cannot see.
            return DrillWatchKeys.action(for: key) == .quit ? quit(now: now) : []
        }
        if note != nil { return noteKey(key, now: now) }
        message = nil
        messageAt = nil
        guard let action = DrillWatchKeys.action(for: key) else { return [] }
        if showingHelp {
            switch action {
            case .help, .back:
                showingHelp = false
                return []
            case .quit:
                return quit(now: now)
            default:
                showingHelp = false
            }
        }
        switch action {
        case .note:
            note = failedNote ?? ""
            failedNote = nil
        case .older: scrollBy(1)
        case .newer: scrollBy(-1)
        case .pageOlder: scrollBy(layout.logPage)
        case .pageNewer: scrollBy(-layout.logPage)
        case .oldest: scroll = layout.maxScroll
        case .newest: scroll = 0
        case .help: showingHelp = true
        case .back: break
        case .quit: return quit(now: now)
        }
        return []
    }

    private mutating func quit(now: Date) -> [DrillWatchEffect] {
        guard savingNotes > 0, !quitWhenSaved else { return [.quit] }
        quitWhenSaved = true
        show("saving the note; quitting when it is saved (q again quits now)", isError: false, now: now)
        return []
    }

    /// The note field has the keyboard: characters are typed (`q`, `n` and `?` too), Enter adds the
    /// note, Esc closes the field, Backspace deletes, Ctrl-U clears. The arrows and PgUp/PgDn still
    /// scroll the log.
    private mutating func noteKey(_ key: Key, now: Date) -> [DrillWatchEffect] {
        guard var text = note else { return [] }
        switch key {
        case .escape, .ctrl("c"), .ctrl("g"):
            note = nil
            return []
        case .enter:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            note = nil
            guard !trimmed.isEmpty else { return [] }
            savingNotes += 1
            show("adding the note" + ellipsis, isError: false, now: now)
            return [.addNote(trimmed)]
        case .backspace, .ctrl("h"):
            if !text.isEmpty { text.removeLast() }
        case .ctrl("u"):
            text = ""
        case .char(let c):
            guard text.count < Self.noteLimit else {
                show("a note holds at most \(Self.noteLimit) characters", isError: true, now: now)
                return [.bell]
            }
            text.append(c)
        case .up: scrollBy(1)
        case .down: scrollBy(-1)
        case .pageUp: scrollBy(layout.logPage)
        case .pageDown: scrollBy(-layout.logPage)
        default:
            return []
        }
        note = text
        return []
    }

    // MARK: Helpers

    private mutating func scrollBy(_ lines: Int) {
        scroll += lines
        clampScroll()
    }

    mutating func clampScroll() {
        scroll = min(max(0, scroll), layout.maxScroll)
    }

    private mutating func show(_ text: String, isError: Bool, now: Date) {
        message = ConsoleMessage(text, isError: isError)
        messageAt = now
    }

    // Composed text uses the Unicode punctuation; the renderer turns it into the terminal's glyphs.
    private var dash: String { "—" }
    private var ellipsis: String { "…" }
}

/// What a key does on the facilitator's view.
public enum DrillWatchAction: String, Hashable, Sendable, CaseIterable {
    case note, older, newer, pageOlder, pageNewer, oldest, newest, help, back, quit
}

/// The view's keys, each with what it does: the reducer, the footer and the help overlay all read
/// this one table. The note field's own keys (Enter, Esc, Backspace, Ctrl-U) are the field's.
public enum DrillWatchKeys {
    public struct Binding: Hashable, Sendable {
        public var action: DrillWatchAction
        public var keys: [Key]
        /// How the keys are written in the footer and the help ("Up/k").
        public var label: String
        public var description: String
        /// Shown in the footer at the minimum width (the rest join when there is room).
        public var essential: Bool
    }

    public static let bindings: [Binding] = [
        Binding(action: .note, keys: [.char("n")], label: "n", description: "add a note", essential: true),
        Binding(action: .older, keys: [.up, .char("k")], label: "Up/k", description: "older events", essential: true),
        Binding(action: .newer, keys: [.down, .char("j")], label: "Down/j", description: "newer", essential: true),
        Binding(action: .pageOlder, keys: [.pageUp], label: "PgUp", description: "page older", essential: false),
        Binding(action: .pageNewer, keys: [.pageDown], label: "PgDn", description: "page newer", essential: false),
        Binding(action: .oldest, keys: [.home, .char("g")], label: "Home/g", description: "oldest", essential: false),
        Binding(action: .newest, keys: [.end, .char("G")], label: "End/G", description: "newest", essential: true),
        Binding(action: .help, keys: [.char("?")], label: "?", description: "help", essential: true),
        Binding(action: .back, keys: [.escape], label: "Esc", description: "close", essential: false),
        Binding(action: .quit, keys: [.char("q"), .char("Q")], label: "q", description: "quit", essential: true),
    ]

    public static func action(for key: Key) -> DrillWatchAction? {
        bindings.first { $0.keys.contains(key) }?.action
    }

    /// The note field's keys, for the footer while it is open.
    public static let noteHints = [FieldHint("Enter", "add"), FieldHint("Esc", "cancel"), FieldHint("^U", "clear")]
}
