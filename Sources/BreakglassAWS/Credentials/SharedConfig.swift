/// The AWS shared config (`~/.aws/config`, sections `[default]` and `[profile NAME]`) and credentials
/// (`~/.aws/credentials`, sections `[NAME]`) files, read the way the SDKs read them: `#` and `;`
/// comments, `key = value`, and indented continuation lines forming sub-sections (`s3 =` ...).
public struct SharedConfigFile: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var name: String
        public var values: [String: String]
        /// Indented sub-keys under a key with an empty value, e.g. `services` blocks.
        public var nested: [String: [String: String]]
        /// 1-based line of the section header, for error messages.
        public var line: Int
    }

    public let path: String
    public let sections: [String: Section]

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    public enum Kind: Sendable { case config, credentials }

    /// Parses `text`. In a config file `[profile x]` names profile x and `[default]` the default
    /// profile; `[services x]` and `[sso-session x]` sections are kept under their full names.
    public init(path: String, text: String, kind: Kind) throws(ParseError) {
        self.path = path
        var sections: [String: Section] = [:]
        var current: String?
        var nestedKey: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = index + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    throw ParseError(path: path, line: lineNo, reason: "section header \"\(trimmed)\" has no closing ]")
                }
                var name = String(trimmed.dropFirst().dropLast()).trimmingSpaces()
                if kind == .config {
                    if name.hasPrefix("profile ") || name.hasPrefix("profile\t") {
                        name = String(name.dropFirst(8)).trimmingSpaces()
                    } else if name != "default" && !name.hasPrefix("services ") && !name.hasPrefix("sso-session ") {
                        // The SDKs ignore `[x]` in a config file (it must be `[profile x]`); keep it
                        // under a name no lookup will match, so a warning can point at it.
                        name = "!unprefixed " + name
                    }
                }
                guard !name.isEmpty else { throw ParseError(path: path, line: lineNo, reason: "empty section name") }
                if sections[name] == nil { sections[name] = Section(name: name, values: [:], nested: [:], line: lineNo) }
                current = name
                nestedKey = nil
                continue
            }
            guard let section = current else {
                throw ParseError(path: path, line: lineNo, reason: "\"\(trimmed)\" is outside any [section]")
            }
            let indented = line.first == " " || line.first == "\t"
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw ParseError(path: path, line: lineNo, reason: "expected key = value, found \"\(trimmed)\"")
            }
            let key = String(trimmed[..<eq]).trimmingSpaces().lowercased()
            let value = String(trimmed[trimmed.index(after: eq)...]).trimmingSpaces()
            if indented, let parent = nestedKey {
                sections[section]?.nested[parent, default: [:]][key] = value
                continue
            }
            if value.isEmpty {
                nestedKey = key
                if sections[section]?.nested[key] == nil { sections[section]?.nested[key] = [:] }
            } else {
                nestedKey = nil
                sections[section]?.values[key] = value
            }
        }
        self.sections = sections
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
