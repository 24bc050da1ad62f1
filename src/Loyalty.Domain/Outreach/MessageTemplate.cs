using System.Text;

namespace Loyalty.Domain.Outreach;

/// <summary>A parsed message template: literal text and <c>{placeholder}</c>s. <c>{{</c> and <c>}}</c> stand for
/// literal braces.</summary>
public sealed record MessageTemplate
{
    private MessageTemplate(IReadOnlyList<Part> parts) => Parts = parts;

    internal IReadOnlyList<Part> Parts { get; }

    /// <summary>The placeholder names the template uses, in order of first use.</summary>
    public IReadOnlyList<string> PlaceholdersUsed => Parts.Where(p => p.IsPlaceholder).Select(p => p.Text).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Parses <paramref name="text"/>; <paramref name="errors"/> says what is wrong with it (syntax and
    /// placeholders unknown to any campaign). Returns null when there are errors.</summary>
    public static MessageTemplate? Parse(string text, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var parts = new List<Part>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                literal.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                literal.Append('}');
                i++;
            }
            else if (c == '{')
            {
                var close = text.IndexOf('}', i + 1);
                var nextOpen = text.IndexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close))
                {
                    problems.Add($"'{{' at character {i + 1} has no closing '}}' (write '{{{{' for a literal brace)");
                    continue;
                }

                var name = text[(i + 1)..close];
                if (!Placeholders.All.Contains(name))
                {
                    problems.Add($"unknown placeholder {{{name}}} (known: {string.Join(", ", Placeholders.All.Select(p => "{" + p + "}"))})");
                }

                if (literal.Length > 0)
                {
                    parts.Add(new Part(literal.ToString(), false));
                    literal.Clear();
                }

                parts.Add(new Part(name, true));
                i = close;
            }
            else if (c == '}')
            {
                problems.Add($"'}}' at character {i + 1} has no opening '{{' (write '}}}}' for a literal brace)");
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), false));
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add("the template is empty");
        }

        errors = problems;
        return problems.Count == 0 ? new MessageTemplate(parts) : null;
    }

    /// <summary>Replaces each placeholder with <paramref name="value"/>'s answer. A null or empty answer leaves the
    /// placeholder out together with the separator that joined it to the text (a comma or a space), so that a
    /// missing first name still reads naturally in every language.</summary>
    public string Render(Func<string, string?> value)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Parts.Count; i++)
        {
            var part = Parts[i];
            if (!part.IsPlaceholder)
            {
                text.Append(part.Text);
                continue;
            }

            var replacement = value(part.Text);
            if (!string.IsNullOrEmpty(replacement))
            {
                text.Append(replacement);
                continue;
            }

            var next = i + 1 < Parts.Count && !Parts[i + 1].IsPlaceholder ? Parts[i + 1].Text : "";
            if (AtSentenceStart(text) && next.Length > 0 && IsComma(next[0]))
            {
                // "{firstName}，生日快乐！" → "生日快乐！"
                text.Append(next.AsSpan(1).TrimStart(' '));
                i++;
            }
            else if (next.Length == 0 || IsClosingPunctuation(next[0]))
            {
                // "Happy birthday, {firstName}!" → "Happy birthday!"; "Hi {firstName}, …" → "Hi, …"
                TrimTrailingSeparator(text);
            }
            else if (next[0] == ' ' && (text.Length == 0 || text[^1] == ' '))
            {
                // "Dear {firstName} and friends" → "Dear and friends"
                text.Append(next.AsSpan(1));
                i++;
            }
        }

        return text.ToString();
    }

    private static bool IsComma(char c) => c is ',' or '，' or '、';

    private static bool IsClosingPunctuation(char c) => c is ',' or '.' or '!' or '?' or ';' or ':' or '，' or '。' or '！' or '？' or '；' or '：' or '、';

    private static bool AtSentenceStart(StringBuilder text)
    {
        for (var i = text.Length - 1; i >= 0; i--)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return text[i] is '.' or '!' or '?' or '。' or '！' or '？';
            }
        }

        return true;
    }

    private static void TrimTrailingSeparator(StringBuilder text)
    {
        while (text.Length > 0 && text[^1] == ' ')
        {
            text.Length--;
        }

        if (text.Length > 0 && IsComma(text[^1]))
        {
            text.Length--;
        }
    }

    internal readonly record struct Part(string Text, bool IsPlaceholder);
}
