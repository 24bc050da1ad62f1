using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Loyalty.Domain.Outreach;

/// <summary>Chooses which of the locales a campaign has templates for suits a member's language tag.</summary>
public static class Locales
{
    /// <summary>The locale every campaign must have, and the last resort.</summary>
    public const string Fallback = "en";

    /// <summary>The best of <paramref name="available"/> for <paramref name="requested"/> (a BCP 47 tag):
    /// the same tag; else the nearest of its parents (<c>ru-RU</c> → <c>ru</c>, <c>en-GB</c> → <c>en</c>);
    /// else another locale of the same language, preferring the same script (<c>zh-Hans-CN</c> or <c>zh</c> →
    /// <c>zh-CN</c>); else <see cref="Fallback"/>. Tags compare case-insensitively; the answer is spelled as in
    /// <paramref name="available"/>.</summary>
    public static string Resolve(string? requested, IEnumerable<string> available)
    {
        var candidates = available.ToList();
        var fallback = candidates.FirstOrDefault(a => Same(a, Fallback)) ?? Fallback;
        if (string.IsNullOrWhiteSpace(requested))
        {
            return fallback;
        }

        if (candidates.FirstOrDefault(a => Same(a, requested)) is { } exact)
        {
            return exact;
        }

        var chain = Chain(requested);
        foreach (var ancestor in chain)
        {
            if (candidates.FirstOrDefault(a => Same(a, ancestor)) is { } match)
            {
                return match;
            }
        }

        if (chain.Count == 0)
        {
            return fallback;
        }

        // Same language: the candidate sharing the most specific ancestor (zh-Hans before zh), then by name.
        string? best = null;
        var bestDepth = -1;
        foreach (var candidate in candidates.OrderBy(c => c, StringComparer.OrdinalIgnoreCase))
        {
            var theirs = Chain(candidate);
            var depth = chain.FindIndex(mine => theirs.Any(t => Same(t, mine)));
            if (depth >= 0 && (bestDepth < 0 || depth < bestDepth))
            {
                best = candidate;
                bestDepth = depth;
            }
        }

        return best ?? fallback;
    }

    /// <summary>Whether two tags are the same language (<c>zh-CN</c> and <c>zh-TW</c> are; <c>en</c> and <c>ru</c> are not).</summary>
    public static bool SameLanguage(string a, string b)
    {
        var mine = Chain(a);
        var theirs = Chain(b);
        return mine.Count > 0 && theirs.Count > 0 && Same(mine[^1], theirs[^1]);
    }

    /// <summary>The culture of a tag, when .NET (ICU) knows it.</summary>
    public static bool TryGetCulture(string? tag, [NotNullWhen(true)] out CultureInfo? culture)
    {
        culture = null;
        if (string.IsNullOrWhiteSpace(tag))
        {
            return false;
        }

        try
        {
            culture = CultureInfo.GetCultureInfo(tag, predefinedOnly: true);
            return culture.Name.Length > 0;
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The tag and its parents, most specific first (<c>zh-Hans-CN</c>, <c>zh-Hans</c>, <c>zh</c>). An
    /// unknown region or variant still yields its language (<c>ru-XX</c> → <c>ru</c>).</summary>
    private static List<string> Chain(string tag)
    {
        var chain = new List<string>();
        if (!TryGetCulture(tag, out var culture))
        {
            var language = tag.Split('-', '_')[0];
            if (!TryGetCulture(language, out culture))
            {
                return chain;
            }

            chain.Add(tag);
        }

        for (var c = culture; c.Name.Length > 0; c = c.Parent)
        {
            chain.Add(c.Name);
        }

        return chain;
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
