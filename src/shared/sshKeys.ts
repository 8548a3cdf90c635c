import ssh2 from 'ssh2';

/** An OpenSSH-format ed25519 key pair. */
export interface SshKeyPair {
  private: string;
  public: string;
}

/**
 * A fresh ed25519 key pair that ssh2 can read back. ssh2's generator drops a leading
 * zero byte of the public key (it encodes it like an mpint), so about 1 key in 128 comes
 * out malformed and unusable; such keys are thrown away and made again.
 */
export function generateEd25519(): SshKeyPair {
  for (;;) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519');
    const pub = ssh2.utils.parseKey(keys.public);
    const priv = ssh2.utils.parseKey(keys.private);
    if (!(pub instanceof Error) && !(priv instanceof Error) && pub.getPublicSSH().length === 51) return keys;
  }
}
