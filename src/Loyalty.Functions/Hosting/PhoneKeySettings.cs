using Loyalty.Adapters.Storage;

namespace Loyalty.Functions.Hosting;

/// <summary>Reads the secret of the phone index (<see cref="PhoneKeys"/>) from the settings, and refuses to start
/// without one, naming the setting.</summary>
public static class PhoneKeySettings
{
    public static PhoneKeys Load(IConfiguration configuration)
    {
        var current = configuration[PhoneKeys.CurrentSetting];
        if (string.IsNullOrEmpty(current))
        {
            throw new InvalidOperationException(
                $"The setting {PhoneKeys.CurrentSetting} is missing: it is the secret that keys the phone index (at least {PhoneKeys.MinLength} characters; generate one with: openssl rand -base64 32).");
        }

        var previous = configuration[PhoneKeys.PreviousSetting];
        return new PhoneKeys(current, string.IsNullOrEmpty(previous) ? null : previous);
    }
}
