/// Error messages quote what they found, and what they found may be hostile: a tag name, an entity,
/// a YAML key written by someone else. `InertText.quoting` writes each character a terminal would act
/// on as `\u{1B}`, so the message prints as visible, inert text whatever reads it (docs/FUZZING.md).
/// Unlike `TerminalText.sanitize`, which drops such characters from text shown as data, it keeps them
/// visible: an error should show what is wrong with the input.
public enum InertText {
    /// C0 controls but tab, DEL, C1 controls (U+0080–U+009F, where U+009B is a one-character CSI) and
    /// the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09: false
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `s` with each control written as `\u{XX}`.
    public static func quoting(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if isControl(u) { out += "\\u{\(String(u.value, radix: 16, uppercase: true))}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}
