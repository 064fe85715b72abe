; use_after_free.asm — "You think you freed memory but then try to access it again."
;
; The post: `mov rdi, rax` / `call free` / `mov rbx, [rax]` (use-after-free). As written it
; reads through whatever free left in rax; here the pointer is kept in rbx, so the only bug is
; the one the post means: reading the block after giving it back.
; The bug: the program frees its 64-byte block, then loads 8 bytes from it.
; What memboss reports: a heap-use-after-free READ at offset 0 of the freed 64-byte block,
; with where it was allocated and freed; the process dies of SIGSEGV (exit status 139).

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
fmt:    db      "read 0x%lx from a freed block", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 64
        call    malloc
        test    rax, rax
        jz      .done
        mov     rbx, rax

        mov     rcx, 0xDEADBEEF
        mov     [rbx], rcx
        mov     rdi, rbx
        call    free

        mov     rsi, [rbx]              ; BUG: use after free
        lea     rdi, [fmt]
        xor     eax, eax
        call    printf
.done:
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
