import Foundation

/// How a page reads in human text (SNS, SMS, Slack, PagerDuty's summary). The daemon sanitises the
/// untrusted parts of a `PageMessage` already; every channel sanitises again here, because a page
/// goes to phones, chat and email clients that no one at Breakglass controls.
enum PageWording {
    /// One line: controls and bidirectional overrides removed, line breaks made spaces.
    static func line(_ text: String) -> String {
        TerminalText.sanitize(text).trimmingCharacters(in: .whitespaces)
    }

    /// Several lines, each made safe as `line`, blank lines at either end dropped.
    static func lines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line(String($0)) }
            .joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    /// At most `limit` characters; a cut is marked with "..." (ASCII, so an SMS stays in the GSM
    /// alphabet and an SNS subject stays valid).
    static func cut(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        guard limit > 3 else { return String(text.prefix(max(0, limit))) }
        return String(text.prefix(limit - 3)).trimmingCharacters(in: .whitespaces) + "..."
    }

    /// The incident's summary as the channels carry it: safe lines, bounded so that an alarm with a
    /// huge reason cannot push a page past a channel's size limit.
    static func summary(_ m: PageMessage) -> String { cut(lines(m.summary), 4000) }

    static func title(_ m: PageMessage) -> String { line(m.title) }

    static func ackCommand(_ m: PageMessage) -> String { "breakglass ack \(m.incident)" }

    /// "Incident #12: <title>", "Incident #12 acknowledged: <title>", "Incident #12 resolved: <title>".
    static func headline(_ m: PageMessage) -> String {
        "Incident #\(m.incident)\(actionWord(m.action)): \(title(m))"
    }

    static func actionWord(_ action: PageAction) -> String {
        switch action {
        case .trigger: ""
        case .acknowledge: " acknowledged"
        case .resolve: " resolved"
        }
    }

    /// The body of an SNS or email page: the headline, the summary, and how to acknowledge when the
    /// summary does not say already (acknowledge/resolve notices need no instruction).
    static func plainText(_ m: PageMessage) -> String {
        var text = "[Breakglass] " + headline(m)
        let summary = summary(m)
        if !summary.isEmpty { text += "\n\n" + summary }
        if m.action == .trigger, !summary.contains(ackCommand(m)) { text += "\n\nAcknowledge: " + ackCommand(m) }
        return text
    }

    /// An SNS Subject: printable ASCII only (anything else becomes "?"), one line, under 100
    /// characters, starting with a letter — what SNS accepts without an InvalidParameter error.
    static func snsSubject(_ m: PageMessage) -> String {
        var ascii = ""
        for character in "Breakglass " + headline(m) {
            if character.isASCII, let value = character.asciiValue, value >= 0x20, value < 0x7F {
                ascii.append(character)
            } else {
                ascii.append("?")
            }
        }
        return cut(ascii, 99)
    }

    /// An SMS of at most 140 characters: the headline cut to fit, then the acknowledge command for a
    /// trigger, which must survive the cut because it is what the person types.
    static func sms(_ m: PageMessage) -> String {
        let prefix = "Breakglass #\(m.incident)\(actionWord(m.action)): "
        let suffix = m.action == .trigger ? " - ack: \(ackCommand(m))" : ""
        let room = max(10, 140 - prefix.count - suffix.count)
        return prefix + cut(title(m), room) + suffix
    }

    /// Slack mrkdwn: `&`, `<` and `>` escaped as Slack requires, so text from an alarm cannot form a
    /// link or a mention (`<!channel>`).
    static func slackText(_ m: PageMessage) -> String {
        var text = "*" + slackEscape("[Breakglass] " + headline(m)) + "*"
        let summary = summary(m)
        if !summary.isEmpty { text += "\n" + slackEscape(summary) }
        if m.action == .trigger, !summary.contains(ackCommand(m)) { text += "\nAcknowledge: `\(ackCommand(m))`" }
        return text
    }

    static func slackEscape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}
