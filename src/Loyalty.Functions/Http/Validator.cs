using System.Globalization;
using System.Text.RegularExpressions;
using Loyalty.Domain;

namespace Loyalty.Functions.Http;

/// <summary>Collects field errors while a request is turned into domain values, so that one answer lists every
/// field at fault. Field names are the JSON names the caller sent.</summary>
public sealed partial class Validator
{
    /// <summary>How far ahead of our clock a timestamp may be (clock skew between a till and the cloud).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, List<string>> errors = [];

    public bool HasErrors => errors.Count > 0;

    public IDictionary<string, string[]> Errors => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    public string? Required(string field, string? value)
    {
        if (value is null)
        {
            Add(field, "Required.");
        }

        return value;
    }

    /// <summary>A typed id (<see cref="Ids.Rule"/>), parsed once here and trusted inside.</summary>
    public TId? Id<TId>(string field, string? value, bool required = true)
        where TId : struct, ITypedId<TId> =>
        IdText(field, value, required) is { } valid ? Ids.Parse<TId>(valid) : null;

    /// <summary>An id that stays text (a store, a reward): <see cref="Ids.Rule"/>.</summary>
    public string? IdText(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "Required.");
            }

            return null;
        }

        if (!Ids.IsValid(value))
        {
            Add(field, $"Must be {Ids.Rule}.");
            return null;
        }

        return value;
    }

    /// <summary>Free text shown to people: trimmed, no control characters, bounded.</summary>
    public string? Text(string field, string? value, int maxLength, bool required = false)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "Required.");
            }

            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0 && required)
        {
            Add(field, "Must not be empty.");
        }
        else if (trimmed.Length > maxLength)
        {
            Add(field, $"Must be at most {maxLength} characters.");
        }
        else if (trimmed.Any(char.IsControl))
        {
            Add(field, "Must not contain control characters.");
        }
        else if (trimmed.Any(IsBidiControl))
        {
            Add(field, "Must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C).");
        }
        else
        {
            return trimmed.Length == 0 ? null : trimmed;
        }

        return null;
    }

    /// <summary>An ISO 8601 / RFC 3339 timestamp with an explicit offset, not in the future beyond clock skew.</summary>
    public DateTimeOffset? Timestamp(string field, string? value, DateTimeOffset now)
    {
        if (Required(field, value) is null)
        {
            return null;
        }

        if (!TimestampPattern().IsMatch(value!)
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
        {
            Add(field, "Must be an ISO 8601 timestamp with an offset, e.g. 2026-11-24T13:05:00+01:00 or 2026-11-24T12:05:00Z.");
            return null;
        }

        if (at > now + MaxClockSkew)
        {
            Add(field, "Must not be in the future.");
            return null;
        }

        if (at.Year < 2000)
        {
            Add(field, "Must be in the year 2000 or later.");
            return null;
        }

        return at;
    }

    // Characters that reorder how text around them is shown, so that what staff read is not what is stored.
    private static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex TimestampPattern();
}
