// Any failure as an ApiError, so pages show one kind of error (envelope
// message, request id, field errors).
import { ApiError } from "../api";

export const asApiError = (e: unknown): ApiError => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));
