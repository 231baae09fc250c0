import BreakglassAWS

/// Text that may use the run's parameters and earlier steps' outputs: `"{{cluster}}"`,
/// `"Writer now: {{steps.before.DBClusters[0].DBClusterMembers[0].DBInstanceIdentifier}}"`.
///
/// Parsed when the runbook is loaded, so a reference that cannot work (an unknown parameter, a step
/// that does not exist or runs later, a path that does not parse) is found by lint before any run.
/// Rendering is a pure function of the parameters and the outputs recorded so far.
///
/// Syntax: `{{name}}` is a parameter; `{{steps.ID.Path}}` is the value at `Path` in the output of the
/// step with id `ID` (paths as `AWSPath` reads them: `Items[0].pk.S`, `Attributes.QueueArn`,
/// `["odd key"]`). Spaces inside the braces are ignored. Everything else is literal text, `}}` too.
public struct RunbookTemplate: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case text(String)
        /// `{{name}}`.
        case param(String)
        /// `{{steps.ID.Path}}`.
        case output(step: String, path: AWSPath)
    }

    /// As written.
    public let source: String
    public let parts: [Part]
    /// Where the text is written.
    public let location: SourceLocation
    public let field: FieldPath

    /// Parses `source`, or says what is wrong with it.
    public init(parsing source: String, at location: SourceLocation, field: FieldPath) throws(SyntaxError) {
        self.source = source
        self.parts = try Self.parse(source)
        self.location = location
        self.field = field
    }

    /// Plain text, with no expressions.
    public init(text: String, at location: SourceLocation, field: FieldPath) {
        source = text
        parts = text.isEmpty ? [] : [.text(text)]
        self.location = location
        self.field = field
    }

    /// What is wrong with a template: the message and the character (from 0) where it starts.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public let offset: Int
        public let message: String
        public var description: String { "\(message) (at character \(offset + 1))" }
    }

    public var description: String { source }

    /// The parameters and outputs it refers to, in the order written.
    public var references: [Part] { parts.filter { if case .text = $0 { false } else { true } } }

    /// The names of the parameters it uses.
    public var params: [String] { parts.compactMap { if case .param(let p) = $0 { p } else { nil } } }

    /// The ids of the steps whose outputs it uses, each with the path.
    public var outputs: [(step: String, path: AWSPath)] {
        parts.compactMap { if case .output(let s, let p) = $0 { (s, p) } else { nil } }
    }

    /// Whether the template is a single expression and nothing else: it then renders to the value
    /// itself (a number stays a number, a list a list).
    public var isSingleExpression: Bool { parts.count == 1 && references.count == 1 }

    static func parse(_ source: String) throws(SyntaxError) -> [Part] {
        let chars = Array(source)
        var parts: [Part] = []
        var text = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{" else {
                text.append(chars[i])
                i += 1
                continue
            }
            var close = i + 2
            while close + 1 < chars.count, !(chars[close] == "}" && chars[close + 1] == "}") { close += 1 }
            guard close + 1 < chars.count else {
                throw SyntaxError(offset: i, message: "`{{` is not closed by `}}`")
            }
            let inner = String(chars[(i + 2)..<close]).trimmingSpaces
            if !text.isEmpty {
                parts.append(.text(text))
                text = ""
            }
            parts.append(try expression(inner, at: i))
            i = close + 2
        }
        if !text.isEmpty { parts.append(.text(text)) }
        return parts
    }

    private static func expression(_ inner: String, at offset: Int) throws(SyntaxError) -> Part {
        let example = "{{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}}"
        if inner.isEmpty {
            throw SyntaxError(offset: offset, message: "`{{}}` is empty; write a parameter, {{name}}, or a step's output, \(example)")
        }
        if inner == "steps" || inner.hasPrefix("steps.") {
            let rest = inner.dropFirst("steps".count).drop { $0 == "." }
            guard let dot = rest.firstIndex(of: "."), !rest.isEmpty else {
                throw SyntaxError(offset: offset, message: "`{{\(inner)}}` names no path in the step's output; write \(example)")
            }
            let id = String(rest[..<dot])
            guard ConfigValues.isIdentifier(id) else {
                throw SyntaxError(offset: offset, message: "`{{\(inner)}}`: `\(id)` is not a step id (letters, digits, - and _); write \(example)")
            }
            let pathText = String(rest[rest.index(after: dot)...])
            do {
                return .output(step: id, path: try AWSPath(pathText))
            } catch {
                throw SyntaxError(offset: offset, message: "`{{\(inner)}}`: \(error)")
            }
        }
        guard ConfigValues.isIdentifier(inner) else {
            let hint = inner.contains(".") ? "; a step's output is written \(example)" : " (parameter names use letters, digits, - and _)"
            throw SyntaxError(offset: offset, message: "`{{\(inner)}}` is not a parameter name\(hint)")
        }
        return .param(inner)
    }

    // MARK: Rendering

    /// The template's value. A single expression renders to the value it refers to; anything else
    /// renders to text, with numbers in decimal, booleans as true/false and lists and objects as JSON.
    public func render(_ context: RunbookRenderContext) throws(RunbookRenderError) -> AWSValue {
        if isSingleExpression, let only = references.first { return try value(of: only, context) }
        return .string(try renderText(context))
    }

    /// The template rendered as text.
    public func renderText(_ context: RunbookRenderContext) throws(RunbookRenderError) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            default: out += try Self.text(of: try value(of: part, context), part: part, self)
            }
        }
        return out
    }

    /// For showing the text to a person when some values may be missing (a step that has not run
    /// yet, an output without that member): each reference that cannot be rendered shows as
    /// `missing(part)`. Never throws.
    public func display(_ context: RunbookRenderContext, missing: (Part) -> String = { RunbookTemplate.expressionText($0) }) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            default:
                if let v = try? value(of: part, context), let t = try? Self.text(of: v, part: part, self) { out += t } else { out += missing(part) }
            }
        }
        return out
    }

    /// A reference as written: `{{cluster}}`, `{{steps.find.Items[0].pk.S}}`.
    public static func expressionText(_ part: Part) -> String {
        switch part {
        case .text(let t): t
        case .param(let p): "{{\(p)}}"
        case .output(let s, let p): "{{steps.\(s).\(p.text)}}"
        }
    }

    private func value(of part: Part, _ context: RunbookRenderContext) throws(RunbookRenderError) -> AWSValue {
        switch part {
        case .text(let t):
            return .string(t)
        case .param(let name):
            guard let v = context.params[name] else {
                throw RunbookRenderError("no value for the parameter `\(name)`", at: location, field: field)
            }
            return v
        case .output(let step, let path):
            guard let output = context.outputs[step] else {
                throw RunbookRenderError("step `\(step)` has recorded no output (it has not run yet)", at: location, field: field)
            }
            guard let v = output.value(at: path), !v.isNull else {
                throw RunbookRenderError("step `\(step)`'s output has nothing at \(path.text)", at: location, field: field)
            }
            return v
        }
    }

    private static func text(of value: AWSValue, part: Part, _ template: RunbookTemplate) throws(RunbookRenderError) -> String {
        if let s = RunbookText.scalarText(value) { return s }
        if value.isNull {
            throw RunbookRenderError("\(expressionText(part)) is null", at: template.location, field: template.field)
        }
        return JSON.encode(value)
    }
}

/// What rendering reads: the run's parameter values and, by step id, the outputs recorded so far.
public struct RunbookRenderContext: Sendable, Equatable {
    public var params: [String: AWSValue]
    public var outputs: [String: AWSValue]

    public init(params: [String: AWSValue] = [:], outputs: [String: AWSValue] = [:]) {
        self.params = params
        self.outputs = outputs
    }
}

/// A template that could not be rendered: where it is written and why.
public struct RunbookRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var field: FieldPath
    public var message: String

    public init(_ message: String, at location: SourceLocation, field: FieldPath) {
        self.location = location
        self.field = field
        self.message = message
    }

    public var description: String { SourceError(message, at: location, field: field).description }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
