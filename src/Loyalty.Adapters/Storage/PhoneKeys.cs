using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Adapters.Storage;

/// <summary>How phone numbers become keys of the phone index: an HMAC-SHA256 of the E.164 number under a secret from
/// the settings, so that someone who reads the table cannot find a number by hashing every possible one.
/// <para>Rotation: set the new secret in <see cref="CurrentSetting"/> and the old one in <see cref="PreviousSetting"/>.
/// New hints use the current secret; lookups try both, so members stay findable; a member's hint is rewritten with the
/// current secret whenever their profile is saved. Erasure deletes a member's hints whichever secret made them (the
/// member row lists them). Drop the previous secret once every member of interest has been saved again.</para></summary>
public sealed class PhoneKeys
{
    public const string CurrentSetting = "LOYALTY_PHONE_KEY";
    public const string PreviousSetting = "LOYALTY_PHONE_KEY_PREVIOUS";

    /// <summary>The shortest secret accepted, in characters.</summary>
    public const int MinLength = 16;

    private readonly byte[][] secrets;

    public PhoneKeys(string current, string? previous = null)
    {
        if (current.Length < MinLength || previous is { Length: < MinLength })
        {
            throw new ArgumentException($"{CurrentSetting} (and {PreviousSetting}, when set) must be at least {MinLength} characters; generate one with: openssl rand -base64 32");
        }

        secrets = previous is null ? [Encoding.UTF8.GetBytes(current)] : [Encoding.UTF8.GetBytes(current), Encoding.UTF8.GetBytes(previous)];
    }

    /// <summary>The key new hints are written under.</summary>
    public string Current(string e164) => KeyOf(secrets[0], e164);

    /// <summary>Every key the number may have a hint under (current secret first).</summary>
    public IEnumerable<string> All(string e164) => secrets.Select(s => KeyOf(s, e164));

    private static string KeyOf(byte[] secret, string e164) => Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(e164)));
}
