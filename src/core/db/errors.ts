import { Prisma } from '../../generated/prisma/client.ts';

/** Prisma's error codes this project reacts to: a unique index hit, a missing foreign row. */
export type PrismaErrorCode = 'P2002' | 'P2003' | 'P2025';

export function isPrismaError(err: unknown, code: PrismaErrorCode): err is Prisma.PrismaClientKnownRequestError {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === code;
}
