namespace Loyalty.Domain.Outreach;

/// <summary>Sending windows in a member's own time zone, as instants. A window's edges are local wall-clock times:
/// one that falls into a daylight-saving gap opens when the clock jumps past it; one that occurs twice opens at
/// the first occurrence.</summary>
public static class SendingWindows
{
    /// <summary>The member's calendar day at <paramref name="instant"/>.</summary>
    public static DateOnly LocalDay(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>When <paramref name="window"/> opens and closes on the member's local <paramref name="day"/>.</summary>
    public static (DateTimeOffset Opens, DateTimeOffset Closes) On(this SendingWindow window, DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(window);
        return (ToInstant(day.ToDateTime(window.From), zone), ToInstant(day.ToDateTime(window.To), zone));
    }

    /// <summary>The first instant at or after <paramref name="earliest"/> when the window is open in the member's zone:
    /// <paramref name="earliest"/> itself when it is open then.</summary>
    public static DateTimeOffset NextOpening(this SendingWindow window, DateTimeOffset earliest, TimeZoneInfo zone)
    {
        var day = LocalDay(earliest, zone);
        var (opens, closes) = window.On(day, zone);
        if (earliest < opens)
        {
            return opens;
        }

        return earliest < closes ? earliest : window.On(day.AddDays(1), zone).Opens;
    }

    /// <summary>The instant a local wall-clock time names in <paramref name="zone"/>.</summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);

        // A time the clocks skip does not exist: move past the gap (at most a few hours; a minute at a time keeps
        // it exact for half-hour shifts too).
        for (var i = 0; zone.IsInvalidTime(local) && i < 24 * 60; i++)
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
