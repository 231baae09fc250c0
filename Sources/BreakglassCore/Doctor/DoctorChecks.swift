import BreakglassAWS
import Foundation

/// The checks of `breakglass doctor`, as pure functions of facts the command gathers (environment,
/// file modes, what the terminal is, what the credential chain answered), so each outcome can be
/// tested without the machine it describes.
public enum DoctorChecks {
    // MARK: - Configuration

    /// PASS naming the file and what it holds; WARN when there is none (listing where it looked);
    /// one FAIL per problem, each `file:line:column: field: message`.
    public static func config(_ outcome: Result<LoadedConfig, SourceErrors>) -> [DoctorResult] {
        switch outcome {
        case .success(let loaded):
            guard let found = loaded.found else {
                return [.warn(
                    "config", "no configuration file; looked at " + loaded.search.searched.joined(separator: ", "),
                    fix: "copy docs/examples/breakglass.yaml to ~/.config/breakglass/config.yaml (or ./breakglass.yaml) and edit it; docs/CONFIG.md describes every key")]
            }
            let c = loaded.config
            return [.pass("config", "\(found.displayPath): " + [
                count(c.contacts.count, "contact"), count(c.escalation.count, "escalation plan"),
                count(c.response.count, "response rule"), count(c.access.roles.count, "access role"),
            ].joined(separator: ", "))]
        case .failure(let errors):
            return errors.errors.map { error in
                .fail("config", error.description, fix: fix(for: error))
            }
        }
    }

    static func fix(for error: SourceError) -> String {
        if error.line > 0 { return "edit \(error.file) at line \(error.line), column \(error.column) (docs/CONFIG.md describes every key)" }
        if error.message.hasPrefix("--config") { return "give --config the path of an existing configuration file" }
        if error.message.hasPrefix("BREAKGLASS_CONFIG") { return "point BREAKGLASS_CONFIG at an existing configuration file, or unset it" }
        return "make \(error.file) a readable UTF-8 text file"
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    // MARK: - Console

    /// The console's look from the configuration: `console.theme` names a theme that loads (a
    /// built-in name or a theme file), and `console.keys` rebinds known actions to key names without
    /// a key doing two things. `theme` is the configured name (nil: the built-in default), `rebound`
    /// the actions `console.keys` names, `problems` what resolving them found: one FAIL each, at
    /// `file:line:column: field` (in the theme file for a problem inside one).
    public static func console(theme: String?, rebound: [String], problems: [SourceError]) -> [DoctorResult] {
        guard problems.isEmpty else {
            return problems.map { .fail("console", $0.description, fix: consoleFix(for: $0)) }
        }
        let look = theme.map { "theme \($0)" } ?? "the default theme"
        let keys = rebound.isEmpty ? "the default keys" : count(rebound.count, "action") + " rebound (" + rebound.joined(separator: ", ") + ")"
        return [.pass("console", look + ", " + keys)]
    }

    static func consoleFix(for error: SourceError) -> String {
        let place = error.line > 0 ? "edit \(error.file) at line \(error.line), column \(error.column)" : "fix \(error.file)"
        if error.field.description.hasPrefix("console.keys") {
            return place + " (docs/CONSOLE.md lists the actions and key names)"
        }
        return place + " (themes: default, high-contrast, monochrome, colorblind, or a theme file; docs/THEMES.md)"
    }

    // MARK: - State folder

    /// What `stat` says about a path.
    public struct FileFacts: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case missing, directory, file, other }
        public var kind: Kind
        /// Permission bits (`st_mode & 0o7777`).
        public var mode: UInt32
        public var owner: UInt32

        public init(kind: Kind, mode: UInt32 = 0, owner: UInt32 = 0) {
            self.kind = kind
            self.mode = mode
            self.owner = owner
        }

        public static let missing = FileFacts(kind: .missing)
    }

    public struct StateFacts: Sendable, Hashable {
        public var folder: String
        public var folderFacts: FileFacts
        public var database: String
        public var databaseFacts: FileFacts
        /// The user running doctor.
        public var userID: UInt32

        public init(folder: String, folderFacts: FileFacts, database: String, databaseFacts: FileFacts, userID: UInt32) {
            self.folder = folder
            self.folderFacts = folderFacts
            self.database = database
            self.databaseFacts = databaseFacts
            self.userID = userID
        }
    }

    /// The state folder must be a folder owned by the user, mode 0700; the database, when present, a
    /// file owned by the user, mode 0600 (DESIGN: state can name resources and people).
    public static func state(_ facts: StateFacts) -> [DoctorResult] {
        var results: [DoctorResult] = []
        let folder = facts.folder, f = facts.folderFacts
        switch f.kind {
        case .missing:
            results.append(.pass("state folder", "\(folder) does not exist yet; it is created 0700 when first needed"))
        case .file, .other:
            results.append(.fail("state folder", "\(folder) is not a folder; Breakglass keeps its state in a folder there", fix: "mv \(shellQuote(folder)) \(shellQuote(folder + ".old"))"))
        case .directory:
            if f.owner != facts.userID {
                results.append(.fail("state folder", "\(folder) belongs to user id \(f.owner), not to you (\(facts.userID))", fix: "sudo chown \"$(id -un)\" \(shellQuote(folder))"))
            } else if f.mode & 0o077 != 0 {
                results.append(.fail("state folder", "\(folder) is mode \(octal(f.mode)): \(whoElse(f.mode)) can get in", fix: "chmod 700 \(shellQuote(folder))"))
            } else if f.mode & 0o700 != 0o700 {
                results.append(.fail("state folder", "\(folder) is mode \(octal(f.mode)): you cannot read, write and enter it", fix: "chmod 700 \(shellQuote(folder))"))
            } else {
                results.append(.pass("state folder", "\(folder) is yours, mode 0700"))
            }
        }
        let db = facts.database, d = facts.databaseFacts
        switch d.kind {
        case .missing:
            results.append(.pass("state database", "\(db) does not exist yet; it is created 0600 when first needed"))
        case .directory, .other:
            results.append(.fail("state database", "\(db) is not a file", fix: "mv \(shellQuote(db)) \(shellQuote(db + ".old"))"))
        case .file:
            if d.owner != facts.userID {
                results.append(.fail("state database", "\(db) belongs to user id \(d.owner), not to you (\(facts.userID))", fix: "sudo chown \"$(id -un)\" \(shellQuote(db))"))
            } else if d.mode & 0o077 != 0 {
                results.append(.fail("state database", "\(db) is mode \(octal(d.mode)): \(whoElse(d.mode)) can \(d.mode & 0o022 != 0 ? "change" : "read") it", fix: "chmod 600 \(shellQuote(db))"))
            } else if d.mode & 0o600 != 0o600 {
                results.append(.fail("state database", "\(db) is mode \(octal(d.mode)): you cannot read and write it", fix: "chmod 600 \(shellQuote(db))"))
            } else {
                results.append(.pass("state database", "\(db) is yours, mode 0600"))
            }
        }
        return results
    }

    /// Every discovered runbook loads and lints clean: a runbook that is broken at 2 a.m. is worse
    /// than none. `problems` are the loader's, the linter's and the config cross-checks, in file order.
    public static func runbooks(count: Int, problems: [SourceError]) -> [DoctorResult] {
        if problems.isEmpty {
            return [count == 0
                ? .warn("runbooks", "no runbooks found", fix: "add runbooks/*.yaml beside the config (docs/RUNBOOKS.md), or list folders under `runbooks:`")
                : .pass("runbooks", "\(count) runbook\(count == 1 ? "" : "s"), all lint clean")]
        }
        let shown = problems.prefix(5).map { DoctorResult.fail("runbooks", $0.description, fix: "breakglass runbook lint") }
        let more = problems.count > 5 ? [DoctorResult.fail("runbooks", "\(problems.count - 5) more problems", fix: "breakglass runbook lint")] : []
        return shown + more
    }

    /// What opening the state database found: its schema, SQLite's page check and the audit chain.
    public struct StoreFacts: Sendable, Hashable {
        public var schemaVersion: Int
        public var integrity: String
        public var entries: Int64
        public var headSeq: Int64?
        /// The first problem `audit verify` would name; nil when intact.
        public var chainProblem: String?

        public init(schemaVersion: Int, integrity: String, entries: Int64, headSeq: Int64?, chainProblem: String?) {
            self.schemaVersion = schemaVersion
            self.integrity = integrity
            self.entries = entries
            self.headSeq = headSeq
            self.chainProblem = chainProblem
        }
    }

    /// The database opens, its pages are sound and its audit chain verifies. `outcome` is nil when
    /// there is no database yet (nothing to check), or the error opening it.
    public static func store(_ outcome: Result<StoreFacts, StoreProblem>?, path: String) -> [DoctorResult] {
        guard let outcome else { return [] }
        switch outcome {
        case .failure(let problem):
            return [.fail("state store", "\(path) cannot be opened: \(problem.message)", fix: problem.fix)]
        case .success(let f):
            if f.integrity != "ok" {
                return [.fail("state store", "\(path) is damaged: \(f.integrity)", fix: "move it aside (mv \(shellQuote(path)) \(shellQuote(path + ".damaged"))) and keep it for investigation; a new one is created on next use")]
            }
            var results: [DoctorResult] = [.pass("state store", "\(path) opens (schema \(f.schemaVersion), WAL mode, pages sound)")]
            if let problem = f.chainProblem {
                results.append(.fail("audit chain", "NOT INTACT: \(problem)", fix: "run `breakglass audit verify` and `breakglass audit export --format markdown` and report it: someone changed the audit trail"))
            } else {
                results.append(.pass("audit chain", f.entries == 0 ? "no entries yet" : "intact: \(f.entries) \(f.entries == 1 ? "entry" : "entries")\(f.headSeq.map { ", head is entry \($0)" } ?? "")"))
            }
            return results
        }
    }

    /// Why the store could not be opened, and what to do.
    public struct StoreProblem: Error, Sendable, Hashable {
        public var message: String
        public var fix: String
        public init(message: String, fix: String) {
            self.message = message
            self.fix = fix
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func whoElse(_ mode: UInt32) -> String {
        switch (mode & 0o070 != 0, mode & 0o007 != 0) {
        case (true, true): "group and others"
        case (true, false): "its group"
        default: "others"
        }
    }

    /// `'path'` for a POSIX shell (paths with spaces, quotes or `$` survive copy and paste).
    public static func shellQuote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+:@%".contains($0)) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: - Terminal

    public struct TerminalFacts: Sendable, Hashable {
        /// TERM, COLORTERM, NO_COLOR, LC_ALL, LC_CTYPE, LANG (others are ignored).
        public var environment: [String: String]
        public var stdoutIsTTY: Bool
        /// Columns and rows, when standard output is a terminal.
        public var columns: Int?
        public var rows: Int?
        /// The locale's character set after `setlocale(LC_ALL, "")`, as the console sees it.
        public var codeset: String
        /// Whether the console accepts `codeset` (the CLI asks the console's own `TerminalCheck`).
        public var codesetIsUTF8: Bool

        public init(environment: [String: String], stdoutIsTTY: Bool, columns: Int? = nil, rows: Int? = nil, codeset: String, codesetIsUTF8: Bool) {
            self.environment = environment
            self.stdoutIsTTY = stdoutIsTTY
            self.columns = columns
            self.rows = rows
            self.codeset = codeset
            self.codesetIsUTF8 = codesetIsUTF8
        }
    }

    static let termFix = "export TERM=xterm-256color (tmux-256color or screen-256color inside tmux or screen)"

    /// `terminal` (TERM, and size when standard output is a terminal), `colours`, `locale`.
    public static func terminal(_ facts: TerminalFacts) -> [DoctorResult] {
        let env = facts.environment.filter { !$0.value.isEmpty }
        var results: [DoctorResult] = []
        let term = env["TERM"]
        switch term {
        case nil:
            results.append(.fail("terminal", "TERM is not set, so the console cannot know how to draw", fix: termFix))
        case "dumb":
            results.append(.fail("terminal", "TERM=dumb cannot move the cursor (an editor's shell buffer?)", fix: "run breakglass in a terminal emulator, or " + termFix))
        case let term?:
            if !facts.stdoutIsTTY {
                results.append(.warn("terminal", "TERM=\(term); standard output is not a terminal, so its size is not checked",
                                     fix: "run breakglass doctor in the terminal the console will use"))
            } else if let c = facts.columns, let r = facts.rows, c < 80 || r < 24 {
                results.append(.warn("terminal", "TERM=\(term), \(c)×\(r): smaller than the 80×24 the console is laid out for",
                                     fix: "make the window at least 80 columns by 24 rows"))
            } else {
                let size = facts.columns.flatMap { c in facts.rows.map { "\(c)×\($0)" } }
                results.append(.pass("terminal", "TERM=\(term)" + (size.map { ", \($0)" } ?? "")))
            }
        }
        results.append(.pass("colours", colours(env)))
        results.append(locale(facts, env))
        return results
    }

    /// How many colours the console will use, by simple rules (no `tput`): NO_COLOR wins, then
    /// COLORTERM=truecolor/24bit, then a TERM ending in -256color, then the name.
    static func colours(_ env: [String: String]) -> String {
        if env["NO_COLOR"] != nil { return "monochrome (NO_COLOR is set)" }
        let term = env["TERM"] ?? ""
        if term.isEmpty || term == "dumb" { return "monochrome (no usable TERM)" }
        if let ct = env["COLORTERM"], ct == "truecolor" || ct == "24bit" { return "24-bit colour (COLORTERM=\(ct))" }
        if term.hasSuffix("-256color") || term.hasSuffix("256color") { return "256 colours (TERM=\(term))" }
        if term.hasPrefix("vt") { return "monochrome (TERM=\(term) has no colour)" }
        return "16 colours (TERM=\(term))"
    }

    static let localeVariables = ["LC_ALL", "LC_CTYPE", "LANG"]

    static func locale(_ facts: TerminalFacts, _ env: [String: String]) -> DoctorResult {
        // The first of LC_ALL, LC_CTYPE, LANG that is set decides the character set.
        let deciding = localeVariables.first { env[$0] != nil }
        let setting = deciding.map { "\($0)=\(env[$0] ?? "")" } ?? "LC_ALL, LC_CTYPE and LANG unset"
        if facts.codesetIsUTF8 { return .pass("locale", "UTF-8 (\(setting))") }
        let codeset = facts.codeset.isEmpty ? "unknown" : facts.codeset
        let name = deciding ?? "LANG"
        let override = name == "LANG" ? "" : " (it overrides LANG)"
        if let deciding, let value = env[deciding], value.uppercased().replacingOccurrences(of: "-", with: "").contains("UTF8") {
            return .fail("locale", "\(setting) asks for UTF-8, but that locale is not installed here, so the character set is \(codeset)",
                         fix: "export \(name)=C.UTF-8\(override), or install the locale (`locale -a` lists those installed)")
        }
        return .fail("locale", "the character set is \(codeset) (\(setting)); the console needs UTF-8",
                     fix: "export \(name)=C.UTF-8\(override)")
    }

    // MARK: - Credentials

    /// PASS naming where the credentials came from (never the secret); WARN when temporary ones
    /// expire within 15 minutes; FAIL with the chain's own explanation when there are none.
    public static func credentials(_ outcome: Result<AWSCredentials, AWSError>, profile: AWSProfileChoice, now: Date) -> DoctorResult {
        switch outcome {
        case .success(let c):
            var detail = "\(shortKey(c.accessKeyID)) from \(c.source)"
            if let expiry = c.expiration {
                let left = expiry.timeIntervalSince(now)
                if left <= 15 * 60 {
                    return .warn("credentials", detail + (left <= 0 ? ", expired" : ", expiring in \(DurationSyntax.format(.seconds(Int64(left))))"),
                                 fix: "refresh them before an incident (they are temporary)")
                }
                detail += ", valid for \(DurationSyntax.format(.seconds(Int64(left) / 60 * 60)))"
            }
            return .pass("credentials", detail)
        case .failure(let error):
            let message: String
            switch error {
            case .credentials(let m), .configuration(let m): message = m
            default: message = error.description
            }
            // One line: the chain's list of places searched becomes "a; b; c".
            let lines = message.split(separator: "\n").map { line in
                var l = line.trimmingCharacters(in: .whitespaces)
                if l.hasPrefix("- ") { l.removeFirst(2) }
                return l
            }
            var oneLine = ""
            for (i, line) in lines.enumerated() {
                oneLine += i == 0 ? line : (lines[i - 1].hasSuffix(":") ? " " : "; ") + line
            }
            return .fail("credentials", "profile \(profile.name) (\(profile.origin)): \(oneLine)",
                         fix: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile that has credentials with aws.profile in the config or --profile")
        }
    }

    /// "AKIA…MPLE": the access key id shortened as the AWS console does; the id is not secret.
    static func shortKey(_ id: String) -> String {
        id.count > 12 ? "\(id.prefix(4))…\(id.suffix(4))" : id
    }

    // MARK: - Access roles

    /// One line per role: its ARN must be an IAM role's, and a role that needs MFA must have a device
    /// named (its mfa_serial, or the profile's). A WARN when roles exist but no criteria do.
    public static func roles(_ access: AccessSettings, profile: AWSProfileChoice, profileMFASerial: String?) -> [DoctorResult] {
        guard !access.roles.isEmpty else { return [.pass("access roles", "none configured; break-glass access is off")] }
        var results: [DoctorResult] = []
        if access.criteria.isEmpty {
            results.append(.warn("access criteria", "roles are configured but access.criteria is empty, so access is granted without a checklist",
                                 fix: "list the conditions under access.criteria (see docs/CONFIG.md)"))
        }
        for role in access.roles {
            let check = "role \(role.id)"
            guard let arn = IAMRoleARN(role.arn) else {
                results.append(.fail(check, "\(role.arn) is not an IAM role ARN", fix: "write it as arn:aws:iam::ACCOUNT:role/NAME (\(role.location))"))
                continue
            }
            var detail = "IAM role \(arn.path == "/" ? "" : arn.path.dropFirst())\(arn.name) in account \(arn.account), sessions up to \(DurationSyntax.format(role.maxDuration))"
            if role.mfa {
                if let serial = role.mfaSerial {
                    detail += ", MFA device \(serial)"
                } else if let serial = profileMFASerial {
                    detail += ", MFA device \(serial) (profile \(profile.name))"
                } else {
                    results.append(.warn(check, detail + "; it needs MFA but no MFA device is named",
                                         fix: "add mfa_serial: arn:aws:iam::ACCOUNT:mfa/NAME to access.roles.\(role.id) (\(role.location)), or mfa_serial to profile \(profile.name) in ~/.aws/config"))
                    continue
                }
            } else {
                detail += ", no MFA"
            }
            results.append(.pass(check, detail))
        }
        return results
    }

    // MARK: - Contacts

    /// Every environment variable a contact's channels name must be set where Breakglass runs (the
    /// value is never shown).
    public static func contacts(_ contacts: [Contact], environment: [String: String]) -> [DoctorResult] {
        guard !contacts.isEmpty else { return [] }
        var results: [DoctorResult] = []
        for contact in contacts {
            let missing = contact.channels.flatMap { channel in
                channel.environmentVariables.filter { (environment[$0] ?? "").isEmpty }.map { (channel.key, $0) }
            }
            for (channel, variable) in missing {
                results.append(.warn("contact \(contact.id)", "\(variable) is not set, so the \(channel) channel cannot page \(contact.name)",
                                     fix: "export \(variable) where breakglass runs (the secret stays out of the config file)"))
            }
        }
        if results.isEmpty {
            let channels = contacts.reduce(0) { $0 + $1.channels.count }
            results.append(.pass("contacts", "\(count(contacts.count, "contact")), \(count(channels, "channel")); every variable they name is set"))
        }
        return results
    }
}
