using System.Security.Cryptography;

namespace Loyalty.Domain.Operations;

/// <summary>Voucher codes: 12 characters of Crockford's base 32 (no I, L, O, U) in groups of four, 60 random bits from
/// a cryptographic source, so that codes can be neither guessed nor enumerated.</summary>
public sealed class VoucherCodes(RandomNumberGenerator random)
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public string Next()
    {
        Span<byte> bytes = stackalloc byte[12];
        random.GetBytes(bytes);
        Span<char> code = stackalloc char[14];
        for (int i = 0, c = 0; i < bytes.Length; i++)
        {
            if (i is 4 or 8)
            {
                code[c++] = '-';
            }

            code[c++] = Alphabet[bytes[i] & 31];
        }

        return new string(code);
    }
}
