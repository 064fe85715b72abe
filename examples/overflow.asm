; overflow.asm — "you forgot to allocate enough memory".
;
; The post: `mov rdi, 2` / `call malloc` ; only 2 bytes! /
; `mov qword [rax], 0x1122334455667788` ; buffer overflow! (that immediate needs a register).
; The bug: an 8-byte store into a 2-byte block writes 6 bytes past its end. Without memboss the
; program usually runs to completion "with corrupted memory", as the post warns.
; What memboss reports: a heap-buffer-overflow WRITE just after the end of the 2-byte block,
; at the faulting instruction; the process dies of SIGSEGV (exit status 139).

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
fmt:    db      "stored 0x%lx into a 2-byte block, and nothing complained", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 2
        call    malloc                  ; only 2 bytes!
        test    rax, rax
        jz      .done
        mov     rbx, rax

        mov     rcx, 0x1122334455667788
        mov     [rax], rcx              ; BUG: 8 bytes into 2: buffer overflow
        mov     rsi, [rbx]
        lea     rdi, [fmt]
        xor     eax, eax
        call    printf

        mov     rdi, rbx
        call    free
.done:
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
