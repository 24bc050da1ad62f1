using System.Globalization;
using NCrontab;

namespace Loyalty.Functions.Standalone;

/// <summary>A timer trigger's <c>schedule</c> as the Functions host reads it: a six-field NCRONTAB expression
/// (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>) in the host's time zone, or a time span
/// (<c>hh:mm:ss</c>) between runs.</summary>
public sealed class TimerSchedule
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };

    private readonly CrontabSchedule? cron;
    private readonly TimeSpan? interval;

    private TimerSchedule(string expression, CrontabSchedule? cron, TimeSpan? interval) =>
        (Expression, this.cron, this.interval) = (expression, cron, interval);

    public string Expression { get; }

    public static bool TryParse(string? expression, out TimerSchedule schedule)
    {
        schedule = null!;
        if (string.IsNullOrWhiteSpace(expression))
        {
            return false;
        }

        if (CrontabSchedule.TryParse(expression.Trim(), SixFields) is { } cron)
        {
            schedule = new TimerSchedule(expression, cron, null);
            return true;
        }

        if (TimeSpan.TryParse(expression, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            schedule = new TimerSchedule(expression, null, span);
            return true;
        }

        return false;
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, reading the expression in
    /// <paramref name="zone"/>; <see cref="DateTimeOffset.MaxValue"/> when there is none.</summary>
    public DateTimeOffset Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        if (interval is { } span)
        {
            return after + span;
        }

        var candidate = TimeZoneInfo.ConvertTime(after, zone).DateTime;
        var end = DateTime.MaxValue.AddYears(-1);
        while (true)
        {
            candidate = cron!.GetNextOccurrence(candidate, end);
            if (candidate >= end)
            {
                return DateTimeOffset.MaxValue;
            }

            // Local times skipped by a daylight-saving change never happen; a repeated hour is taken at its first offset.
            if (zone.IsInvalidTime(candidate))
            {
                continue;
            }

            var offset = zone.IsAmbiguousTime(candidate) ? zone.GetAmbiguousTimeOffsets(candidate).Max() : zone.GetUtcOffset(candidate);
            var next = new DateTimeOffset(candidate, offset);
            if (next > after)
            {
                return next;
            }
        }
    }

    public override string ToString() => Expression;
}
