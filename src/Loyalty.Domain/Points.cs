namespace Loyalty.Domain;

/// <summary>A whole number of loyalty points (negative for debits). Arithmetic is checked.</summary>
public readonly record struct Points(long Value) : IComparable<Points>
{
    public static readonly Points Zero = new(0);

    public static Points operator +(Points a, Points b) => new(checked(a.Value + b.Value));

    public static Points operator -(Points a, Points b) => new(checked(a.Value - b.Value));

    public static Points operator -(Points a) => new(checked(-a.Value));

    public static bool operator <(Points a, Points b) => a.Value < b.Value;

    public static bool operator >(Points a, Points b) => a.Value > b.Value;

    public static bool operator <=(Points a, Points b) => a.Value <= b.Value;

    public static bool operator >=(Points a, Points b) => a.Value >= b.Value;

    public static Points Min(Points a, Points b) => a.Value <= b.Value ? a : b;

    /// <summary>Whole points of a computed amount, rounded down (in the member's disfavour by less than a point).</summary>
    public static Points Floor(decimal points) => new((long)decimal.Floor(points));

    public int CompareTo(Points other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
