/// A small, strict XML reader for AWS query-protocol answers: elements, text, CDATA, the five named
/// entities and numeric character references. Attributes are read past (AWS answers carry meaning in
/// elements only, apart from namespaces). DTDs are refused, so no entity can expand.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var children: [XMLElement]
    /// The element's own text, concatenated; whitespace between child elements is dropped.
    public var text: String

    public init(name: String, children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// The first descendant (depth first) with this name.
    public func first(_ name: String) -> XMLElement? {
        for c in children {
            if c.name == name { return c }
            if let found = c.first(name) { return found }
        }
        return nil
    }

    /// Follows a chain of child names: `element.path("CreateAccessKeyResult", "AccessKey")`.
    public func path(_ names: String...) -> XMLElement? {
        var current = self
        for n in names {
            guard let next = current.child(n) else { return nil }
            current = next
        }
        return current
    }
}

public enum XML {
    public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "malformed XML at byte \(offset): \(reason)" }
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> XMLElement {
        let array = Array(bytes)
        var p = Parser(bytes: array)
        return try p.document()
    }

    public static func decode(_ text: String) throws(DecodeError) -> XMLElement { try decode(Array(text.utf8)) }

    /// Escapes text for use inside an XML element or attribute.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static let maxDepth = 256

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0

        /// Reasons quote names and entities from the input; their controls are written inertly.
        func error(_ reason: String) -> DecodeError { DecodeError(offset: pos, reason: InertText.quoting(reason)) }

        func peek(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard pos + u.count <= bytes.count else { return false }
            return bytes[pos..<(pos + u.count)].elementsEqual(u)
        }

        mutating func skip(past s: String) throws(DecodeError) {
            let u = Array(s.utf8)
            while pos + u.count <= bytes.count {
                if bytes[pos..<(pos + u.count)].elementsEqual(u) { pos += u.count; return }
                pos += 1
            }
            throw error("expected '\(s)'")
        }

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        mutating func skipMisc() throws(DecodeError) {
            while true {
                skipSpace()
                if peek("<?") { try skip(past: "?>") }
                else if peek("<!--") { try skip(past: "-->") }
                else if peek("<!DOCTYPE") || peek("<!doctype") { throw error("document type declarations are not accepted") }
                else { return }
            }
        }

        mutating func document() throws(DecodeError) -> XMLElement {
            if peek("\u{FEFF}") { pos += 3 }
            try skipMisc()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "<") else { throw error("expected a root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard pos == bytes.count else { throw error("unexpected data after the root element") }
            return root
        }

        static func isNameByte(_ b: UInt8) -> Bool {
            b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
        }

        mutating func name() throws(DecodeError) -> String {
            let start = pos
            while pos < bytes.count, Self.isNameByte(bytes[pos]) { pos += 1 }
            guard pos > start else { throw error("expected a name") }
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }

        mutating func element(depth: Int) throws(DecodeError) -> XMLElement {
            guard depth < XML.maxDepth else { throw error("nested deeper than \(XML.maxDepth) levels") }
            pos += 1  // <
            let tag = try name()
            // Attributes: read past, honouring quotes.
            while true {
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated start tag <\(tag)>") }
                if bytes[pos] == UInt8(ascii: "/") {
                    guard pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: ">") else { throw error("expected '/>'") }
                    pos += 2
                    return XMLElement(name: tag)
                }
                if bytes[pos] == UInt8(ascii: ">") { pos += 1; break }
                _ = try name()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "=") else { throw error("expected '=' in an attribute of <\(tag)>") }
                pos += 1
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
                    throw error("expected a quoted attribute value in <\(tag)>")
                }
                let q = bytes[pos]
                pos += 1
                while pos < bytes.count, bytes[pos] != q { pos += 1 }
                guard pos < bytes.count else { throw error("unterminated attribute value in <\(tag)>") }
                pos += 1
            }
            var node = XMLElement(name: tag)
            var text: [UInt8] = []
            while true {
                guard pos < bytes.count else { throw error("unterminated element <\(tag)>") }
                let b = bytes[pos]
                if b == UInt8(ascii: "<") {
                    if peek("</") {
                        pos += 2
                        let end = try name()
                        guard end == tag else { throw error("</\(end)> closes <\(tag)>") }
                        skipSpace()
                        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ">") else { throw error("expected '>'") }
                        pos += 1
                        node.text = node.children.isEmpty ? String(decoding: text, as: UTF8.self)
                            : String(decoding: text, as: UTF8.self).trimmingASCIISpace()
                        return node
                    } else if peek("<![CDATA[") {
                        pos += 9
                        let start = pos
                        try skip(past: "]]>")
                        text.append(contentsOf: bytes[start..<(pos - 3)])
                    } else if peek("<!--") {
                        try skip(past: "-->")
                    } else if peek("<?") {
                        try skip(past: "?>")
                    } else if peek("<!") {
                        throw error("declarations are not accepted inside elements")
                    } else {
                        node.children.append(try element(depth: depth + 1))
                    }
                } else if b == UInt8(ascii: "&") {
                    try entity(into: &text)
                } else {
                    text.append(b)
                    pos += 1
                }
            }
        }

        mutating func entity(into out: inout [UInt8]) throws(DecodeError) {
            let start = pos
            pos += 1
            while pos < bytes.count, bytes[pos] != UInt8(ascii: ";"), pos - start < 12 { pos += 1 }
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ";") else {
                pos = start
                throw error("unterminated entity reference")
            }
            let name = String(decoding: bytes[(start + 1)..<pos], as: UTF8.self)
            pos += 1
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                var v: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { v = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { v = UInt32(name.dropFirst(1)) }
                guard let v, let scalar = Unicode.Scalar(v), let encoded = UTF8.encode(scalar) else {
                    pos = start
                    throw error("unknown entity &\(name);")
                }
                out.append(contentsOf: encoded)
            }
        }
    }
}

extension String {
    func trimmingASCIISpace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
