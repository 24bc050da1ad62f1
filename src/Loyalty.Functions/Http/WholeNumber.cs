using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loyalty.Functions.Http;

/// <summary>Reads a JSON number that must be a whole number: <c>10</c>, <c>10.0</c> and <c>1e1</c> are all ten;
/// <c>10.5</c>, a number too large for the field and a string are refused with a message naming the rule, which
/// <see cref="JsonBody"/> reports under the field's name. Every integer field of a request reads this way.</summary>
public sealed class WholeNumberConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new FieldException("Must be a whole number.");
        }

        if (reader.TryGetInt64(out var whole))
        {
            return whole;
        }

        if (!reader.TryGetDecimal(out var value) && !TryParseDecimal(reader.ValueSpan, out value))
        {
            throw new FieldException("Must be a whole number within the field's range.");
        }

        if (value != decimal.Truncate(value))
        {
            throw new FieldException("Must be a whole number, without a fraction.");
        }

        return value is >= long.MinValue and <= long.MaxValue
            ? (long)value
            : throw new FieldException("Must be a whole number within the field's range.");
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);

    // Utf8JsonReader reads exponents only within double precision rules; decimal.Parse with the exponent style reads 1e1.
    private static bool TryParseDecimal(ReadOnlySpan<byte> utf8, out decimal value) =>
        decimal.TryParse(System.Text.Encoding.UTF8.GetString(utf8), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}

/// <summary>A value of the right JSON type that breaks the field's rule; its message is shown under the field.</summary>
public sealed class FieldException(string message) : JsonException(message);
